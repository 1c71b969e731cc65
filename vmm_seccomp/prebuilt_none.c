/* SPDX-License-Identifier: Apache-2.0 */
/* No prebuilt programs: every layer is compiled at run time.  Linked into
 * the program that makes them (tools/prebuild.c) and into cross builds. */
#include "internal.h"

const struct prebuilt *const vmm_seccomp_prebuilt = NULL;
