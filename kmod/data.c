// SPDX-License-Identifier: GPL-2.0
/*
 * The data path without a bounce buffer: ops work in place on the owner's
 * pages, or on registered buffers (PEL_SQE_FIXED: kernel addresses).
 *
 * A span is one side of an op (a source or a destination) over a window
 * of at most PEL_BOUNCE_SIZE bytes.  For user memory, pel_span_get() takes
 * references on the window's pages with get_user_pages_fast_only(), which
 * never sleeps and never faults: a page that is not present with the access
 * needed (not resident, copy-on-write or first touch for a destination, a
 * PROT_NONE page, a special mapping such as the zero page, a kernel
 * address) ends the window before it.  A registered buffer is a kernel
 * address, held for the op by its table reference: its window is always
 * whole.  pel_span_map() gives the bytes at a position of the window
 * through kmap_local_page(), at most up to the end of their page.
 *
 * A walk runs up to PEL_WALK_SIDES spans in step over a range of an op:
 * window after window, each the same bytes of every side, then piece after
 * piece, each contiguous in every side, mapped for the op to work on.
 *
 * The rules:
 *  - Nothing here sleeps: no fault, no page lock waited for (a destination
 *    page of a file is trylocked; one locked elsewhere is a miss), so a
 *    shared worker may run a walk.  Between windows the walk checks
 *    pel_range_stopped() (park, close: every PEL_BOUNCE_SIZE bytes at
 *    most) and calls cond_resched() with no page held.
 *  - Progress is exact: a walk that ends early has done exactly the bytes
 *    before the first page some side could not have, and says why in
 *    r->stop (PEL_STOP_MISS for a page not had).  A backward walk (COPY
 *    into its own source's tail) does a window whole or not at all, since
 *    a window written in part may already have overwritten its own source.
 *  - A miss is not an error: the op keeps its progress in its pel_exec and
 *    goes on in the context's slow path (slow.c), which copies through its
 *    bounce buffer with page faults allowed.  That is where a bad address
 *    is told from a page not resident: copy_{from,to}_user() faults for
 *    real, and a kernel address fails access_ok(), with nothing touched.
 *  - Destination pages are marked dirty before their reference is put,
 *    with the page locked for a page of a file (as set_page_dirty_lock()
 *    would, but the lock was taken with a trylock when the page was got;
 *    a page under writeback is a miss).
 *  - References are FOLL_GET ones, not FOLL_PIN: get_user_pages_fast_only()
 *    is the only GUP that modules have which never sleeps (6.12 keeps
 *    FOLL_FAST_ONLY to mm/, and pin_user_pages_fast() may fall back to the
 *    slow walk).  They are held for one window of work, never across a
 *    sleep, and a page written is locked (file) or exclusive to the owner
 *    (anonymous: GUP-fast with FOLL_WRITE found it writable).
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>

#include "data.h"

/*
 * Whether page @i of the window holds the lock of its folio: pages of one
 * large folio share one lock, taken by the first of them.
 */
static bool pel_span_locker(struct pel_span *s, unsigned int i)
{
	return !PageAnon(s->pages[i]) &&
	       (!i || page_folio(s->pages[i]) != page_folio(s->pages[i - 1]));
}

/* Drop pages [from, s->nr) of the window, dirtying destination pages. */
static void pel_span_drop(struct pel_span *s, unsigned int from)
{
	struct page *page;

	while (s->nr > from) {
		page = s->pages[--s->nr];
		if (s->write) {
			set_page_dirty(page);
			if (pel_span_locker(s, s->nr))
				unlock_page(page);
		}
		put_page(page);
	}
}

/*
 * Pages of a file are locked while we write them, so that set_page_dirty()
 * cannot race with truncation, as set_page_dirty_lock() would have it; but
 * never waited for.  A page under writeback is not written either: some
 * filesystems need it stable until the write is over, and a write fault
 * (the slow path's) waits for that, which we may not.  The lock keeps new
 * writeback from starting.  Anonymous pages need no lock.  Returns how
 * many of s->pages[0, nr) are usable, from the first.
 */
static unsigned int pel_span_lock(struct pel_span *s, unsigned int nr)
{
	struct page *page;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		page = s->pages[i];
		if (!pel_span_locker(s, i))
			continue;
		if (!trylock_page(page))
			break;
		if (PageWriteback(page)) {
			unlock_page(page);
			break;
		}
	}
	return i;
}

size_t pel_span_get(struct pel_span *s, u64 uaddr, void *kaddr, size_t n,
		    bool write)
{
	unsigned long start = uaddr & PAGE_MASK;
	size_t head = offset_in_page(uaddr), got;
	unsigned int nr, ok, i;
	int ret;

	s->uaddr = uaddr;
	s->kaddr = kaddr;
	s->write = write;
	s->eof = false;
	s->nr = 0;
	if (kaddr || !n) {
		s->len = n;
		return n;
	}
	nr = DIV_ROUND_UP(head + n, PAGE_SIZE);
	ret = get_user_pages_fast_only(start, nr, write ? FOLL_WRITE : 0,
				       s->pages);
	/* A kernel or wrapping address gets an error: no page at all. */
	ok = ret > 0 ? ret : 0;
	if (write) {
		i = pel_span_lock(s, ok);
		/* Not locked, so not dirtied: the reference only. */
		while (ok > i)
			put_page(s->pages[--ok]);
	}
	s->nr = ok;
	got = ok == nr ? n : ok ? (size_t)ok * PAGE_SIZE - head : 0;
	s->len = got;
	return got;
}

/*
 * A window of a file: each page's folio looked up in the page cache, no
 * lock taken, nothing created or read in.  A folio is used only when it
 * is uptodate and still in the mapping (not truncated meanwhile); its
 * reference keeps its memory ours while we read it, whatever happens to
 * the file.  i_size is read before and again after the lookups, as
 * filemap_read() does, so that a window never runs past an EOF seen: a
 * truncate racing with us gives bytes up to some EOF it had, never beyond.
 */
size_t pel_span_get_file(struct pel_span *s, struct file *file, loff_t pos,
			 size_t n)
{
	struct address_space *mapping = file->f_mapping;
	struct inode *inode = mapping->host;
	size_t head = offset_in_page(pos), want = n, got;
	unsigned int nr, i;
	struct folio *folio;
	pgoff_t index;
	loff_t isize;

	s->uaddr = pos;
	s->kaddr = NULL;
	s->write = false;
	s->eof = false;
	s->nr = 0;
	s->len = 0;
	isize = i_size_read(inode);
	if (pos >= isize) {
		s->eof = true;
		return 0;
	}
	if (want > isize - pos)
		want = isize - pos;
	nr = DIV_ROUND_UP(head + want, PAGE_SIZE);
	for (i = 0; i < nr; i++) {
		index = (pos >> PAGE_SHIFT) + i;
		folio = filemap_get_folio(mapping, index);
		/* NULL in 6.1, ERR_PTR(-ENOENT) from 6.3 on. */
		if (IS_ERR_OR_NULL(folio))
			break;
		if (!folio_test_uptodate(folio) ||
		    READ_ONCE(folio->mapping) != mapping) {
			folio_put(folio);
			break;
		}
		s->pages[i] = folio_file_page(folio, index);
		s->nr++;
	}
	/* Pairs with the truncate's size update before it drops folios. */
	smp_rmb();
	isize = i_size_read(inode);
	if (pos >= isize)
		want = 0;
	else if (want > isize - pos)
		want = isize - pos;
	/* Bytes the pages held cover, from pos: all of a page but the first. */
	got = s->nr ? (size_t)s->nr * PAGE_SIZE - head : 0;
	if (got >= want) {
		got = want;
		s->eof = want < n;
	}
	s->len = s->nr ? got : 0;
	pel_span_drop(s, DIV_ROUND_UP(head + s->len, PAGE_SIZE));
	if (!s->len)
		pel_span_drop(s, 0);
	return s->len;
}

void pel_span_trim(struct pel_span *s, size_t len)
{
	if (len >= s->len)
		return;
	s->len = len;
	if (!s->kaddr)
		pel_span_drop(s, DIV_ROUND_UP(offset_in_page(s->uaddr) + len,
					      PAGE_SIZE));
}

void pel_span_put(struct pel_span *s)
{
	pel_span_drop(s, 0);
	s->len = 0;
}

void *pel_span_map(struct pel_span *s, size_t pos, size_t *len)
{
	size_t in;

	if (s->kaddr) {
		*len = s->len - pos;
		return s->kaddr + pos;
	}
	in = offset_in_page(s->uaddr) + pos;
	*len = min_t(size_t, s->len - pos, PAGE_SIZE - offset_in_page(in));
	return kmap_local_page(s->pages[in >> PAGE_SHIFT]) + offset_in_page(in);
}

void *pel_span_map_before(struct pel_span *s, size_t end, size_t *len)
{
	size_t in;

	if (s->kaddr) {
		*len = end;
		return s->kaddr;
	}
	in = offset_in_page(s->uaddr) + end - 1;
	*len = min_t(size_t, end, offset_in_page(in) + 1);
	return kmap_local_page(s->pages[in >> PAGE_SHIFT]) +
	       offset_in_page(in) + 1 - *len;
}

void pel_span_unmap(struct pel_span *s, void *p)
{
	if (!s->kaddr)
		kunmap_local(p);
}

void pel_walk_init(struct pel_walk *w, struct pel_exec *x, struct pel_range *r,
		   u64 n, bool backward)
{
	w->x = x;
	w->r = r;
	w->n = n;
	w->done = 0;
	w->nr = 0;
	w->step = 0;
	w->pos = 0;
	w->mapped = 0;
	w->backward = backward;
	w->held = false;
}

void pel_walk_add(struct pel_walk *w, u64 uaddr, void *kaddr, bool write)
{
	struct pel_walk_side *sd = &w->side[w->nr++];

	sd->uaddr = uaddr;
	sd->kaddr = kaddr;
	sd->file = NULL;
	sd->write = write;
}

void pel_walk_add_file(struct pel_walk *w, struct file *file, loff_t pos)
{
	struct pel_walk_side *sd = &w->side[w->nr++];

	sd->uaddr = pos;
	sd->kaddr = NULL;
	sd->file = file;
	sd->write = false;
}

static void pel_walk_unmap(struct pel_walk *w)
{
	unsigned int i;

	if (!w->mapped)
		return;
	/* kmap_local: unmapped in the reverse order of mapping. */
	for (i = w->nr; i-- > 0; )
		pel_span_unmap(&w->side[i].span, w->map[i]);
	w->mapped = 0;
}

static void pel_walk_put(struct pel_walk *w)
{
	unsigned int i;

	pel_walk_unmap(w);
	if (!w->held)
		return;
	for (i = 0; i < w->nr_held; i++)
		pel_span_put(&w->side[i].span);
	w->held = false;
}

/* Take the next window of every side; false (r->stop set) when none. */
static bool pel_walk_window(struct pel_walk *w)
{
	size_t want = min_t(u64, w->n - w->done, PEL_BOUNCE_SIZE), got = want;
	u64 off = w->backward ? w->n - w->done - want : w->done;
	unsigned int i;

	if (pel_range_stopped(w->x, w->r))
		return false;
	for (i = 0; i < w->nr && got; i++) {
		struct pel_walk_side *sd = &w->side[i];

		/* A later side needs no more than the earlier ones hold. */
		if (sd->file)
			got = min(got, pel_span_get_file(&sd->span, sd->file,
							 sd->uaddr + off, got));
		else
			got = min(got, pel_span_get(&sd->span, sd->uaddr + off,
						    sd->kaddr ? sd->kaddr + off : NULL,
						    got, sd->write));
	}
	w->held = true;
	w->nr_held = i;
	/* The window ends at a file's EOF, not at a miss of any side. */
	w->eof_step = false;
	for (i = 0; i < w->nr_held; i++)
		if (w->side[i].span.eof && w->side[i].span.len == got)
			w->eof_step = true;
	if (w->eof_step && !got) {
		w->r->eof = true;
		pel_walk_put(w);
		return false;
	}
	/* A backward window is done whole or not at all. */
	if (w->backward && got < want)
		got = 0;
	if (!got) {
		w->r->stop = PEL_STOP_MISS;
		pel_walk_put(w);
		return false;
	}
	for (i = 0; i < w->nr_held; i++)
		pel_span_trim(&w->side[i].span, got);
	w->step = got;
	w->pos = 0;
	w->short_step = got < want;
	return true;
}

size_t pel_walk_next(struct pel_walk *w)
{
	size_t len[PEL_WALK_SIDES], piece;
	unsigned int i;

	w->pos += w->mapped;
	pel_walk_unmap(w);
	if (w->held && w->pos == w->step) {
		pel_walk_put(w);
		w->done += w->step;
		if (w->short_step) {
			if (w->eof_step)
				w->r->eof = true;
			else
				w->r->stop = PEL_STOP_MISS;
			return 0;
		}
		cond_resched();
	}
	if (!w->held && (w->done == w->n || !pel_walk_window(w)))
		return 0;
	piece = w->step - w->pos;
	for (i = 0; i < w->nr; i++) {
		struct pel_span *s = &w->side[i].span;

		if (w->backward)
			w->map[i] = pel_span_map_before(s, w->step - w->pos,
							&len[i]);
		else
			w->map[i] = pel_span_map(s, w->pos, &len[i]);
		piece = min(piece, len[i]);
	}
	/* A backward piece ends where the window's undone bytes end. */
	if (w->backward)
		for (i = 0; i < w->nr; i++)
			w->map[i] = (u8 *)w->map[i] + len[i] - piece;
	w->mapped = piece;
	return piece;
}

u64 pel_walk_end(struct pel_walk *w, size_t used)
{
	u64 done = w->done;

	if (w->held && !w->backward)
		done += w->pos + used;
	pel_walk_put(w);
	return done;
}
