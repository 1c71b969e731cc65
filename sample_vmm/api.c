/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until the API server lands. */
#include "api.h"

#include <errno.h>
#include <stdio.h>

int api_server_new(struct api_server **out, const char *path, const struct api_ops *ops,
		   char *err, size_t errlen)
{
	(void)out;
	(void)path;
	(void)ops;
	snprintf(err, errlen, "the API server is not implemented yet");
	return -ENOSYS;
}

void *api_server_run(void *server)
{
	(void)server;
	return NULL;
}

void api_server_stop(struct api_server *s)
{
	(void)s;
}

void api_server_free(struct api_server *s)
{
	(void)s;
}
