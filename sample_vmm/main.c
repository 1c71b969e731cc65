/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until the sample VMM lands. */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "sample-vmm: not implemented yet\n");
	return 2;
}
