/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-place data path (data.c): spans of user pages or registered
 * buffers, and walks over several of them in step.  Used by the ops
 * (ops.c); never sleeps.
 */
#ifndef _PEL_DATA_H
#define _PEL_DATA_H

#include <linux/mm_types.h>
#include <linux/types.h>

#include "pel_internal.h"

/* Pages of a window of PEL_BOUNCE_SIZE bytes at any offset in a page. */
#define PEL_SPAN_PAGES		(PEL_BOUNCE_SIZE / PAGE_SIZE + 1)
/* Sides a walk runs in step: DUALCAST's source and two destinations. */
#define PEL_WALK_SIDES		3

/*
 * One side of an op over a window: user pages referenced, or a kernel
 * address (a registered buffer).  On the runner's stack.
 */
struct pel_span {
	u64 uaddr;			/* byte 0 of the window, user memory */
	u8 *kaddr;			/* or its kernel address; NULL: user memory */
	bool write;			/* a destination */
	bool eof;			/* a file's: the window ends at EOF */
	unsigned int nr;		/* pages referenced */
	size_t len;			/* bytes of the window held */
	struct page *pages[PEL_SPAN_PAGES];
};

/*
 * Take up to @n bytes (at most PEL_BOUNCE_SIZE) at @uaddr, or at @kaddr
 * when it is not NULL.  Returns the bytes held from the start: fewer than
 * @n when the page after them is not there now (a miss; nothing waited
 * for).  pel_span_put() drops them, whatever the return.
 */
size_t pel_span_get(struct pel_span *s, u64 uaddr, void *kaddr, size_t n,
		    bool write);
/*
 * The same for @n bytes at @pos of @file, from the page cache: a folio
 * absent or not uptodate is a miss.  s->eof says the window was cut at
 * EOF (i_size_read()).  Never sleeps.
 */
size_t pel_span_get_file(struct pel_span *s, struct file *file, loff_t pos,
			 size_t n);
/* Hold only the first @len bytes (no more than held). */
void pel_span_trim(struct pel_span *s, size_t len);
void pel_span_put(struct pel_span *s);
/*
 * Map the bytes from @pos of the window: returns their address and in
 * *len how many are contiguous from there.  _before: the bytes that end
 * at @end, the address of the first of *len.  Unmap each, in the reverse
 * order of mapping, with pel_span_unmap().
 */
void *pel_span_map(struct pel_span *s, size_t pos, size_t *len);
void *pel_span_map_before(struct pel_span *s, size_t end, size_t *len);
void pel_span_unmap(struct pel_span *s, void *p);

struct pel_walk_side {
	u64 uaddr;			/* or a file position */
	struct file *file;		/* a file's page cache; NULL: memory */
	u8 *kaddr;
	bool write;
	struct pel_span span;
};

/*
 * A walk over bytes [0, n) of up to PEL_WALK_SIDES sides, each given by
 * its address at byte 0.  Use:
 *
 *	pel_walk_init(&w, x, r, n, false);
 *	pel_walk_add(&w, dst_uaddr, dst_kaddr, true);
 *	pel_walk_add(&w, src_uaddr, src_kaddr, false);
 *	while ((len = pel_walk_next(&w)))
 *		memmove(w.map[0], w.map[1], len);
 *	done = pel_walk_end(&w, 0);
 *
 * Each piece is mapped in every side (w.map[i]) until the next call.  An
 * op that ends inside a piece (a difference) passes the bytes of it that
 * count to pel_walk_end().  Backward: windows and pieces from the end,
 * each window whole or not at all; pel_walk_end() returns the bytes done
 * at the end.  Ends early with r->stop set: a miss, a park, a close.
 */
struct pel_walk {
	struct pel_exec *x;
	struct pel_range *r;
	u64 n;
	u64 done;			/* bytes of windows done */
	size_t step;			/* bytes of the window held */
	size_t pos;			/* bytes of it done */
	size_t mapped;			/* bytes of the piece mapped */
	unsigned int nr;		/* sides */
	unsigned int nr_held;		/* sides with a window held */
	bool backward;
	bool held;			/* a window is held */
	bool short_step;		/* the window ends at a miss or EOF */
	bool eof_step;			/* ... at a file's EOF */
	void *map[PEL_WALK_SIDES];
	struct pel_walk_side side[PEL_WALK_SIDES];
};

/* The walk's offset of the piece mapped (forward walks). */
static inline u64 pel_walk_at(const struct pel_walk *w)
{
	return w->done + w->pos;
}

void pel_walk_init(struct pel_walk *w, struct pel_exec *x, struct pel_range *r,
		   u64 n, bool backward);
void pel_walk_add(struct pel_walk *w, u64 uaddr, void *kaddr, bool write);
/* A source side read from @file's page cache from position @pos. */
void pel_walk_add_file(struct pel_walk *w, struct file *file, loff_t pos);
size_t pel_walk_next(struct pel_walk *w);
u64 pel_walk_end(struct pel_walk *w, size_t used);

#endif /* _PEL_DATA_H */
