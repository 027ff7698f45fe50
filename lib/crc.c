// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * liblpel's CRC helpers for applications: the combine of two CRC-32Cs,
 * which a program that checksums pieces in parallel (file_crc32c, or one
 * piece per MPI rank as examples/mpi_crc32c.c) needs to get the CRC of the
 * whole.  The arithmetic is the user backend's (lib/uops.c), which merges
 * the chunks of a split op the same way: one implementation, not two.
 */
#include <stdint.h>

#include "lpel.h"
#include "uops.h"

uint32_t lpel_crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
	return lpel_uop_crc32c_combine(crc1, crc2, len2);
}
