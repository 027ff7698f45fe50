// SPDX-License-Identifier: GPL-2.0
/*
 * pelctl: what liblpel programs started here run on: $LPEL_BACKEND
 * ("kernel", "user", "auto"; unset is the kernel) and whether the module
 * is there, by liblpel's own rule (lpel_init_params(), Documentation/user.md).
 */
#include <stdlib.h>
#include <string.h>

#include "pelctl.h"

/* "kernel", "user", or NULL when $LPEL_BACKEND is not a backend. */
static const char *env_backend(const char *env, bool module)
{
	if (!strcmp(env, "kernel"))
		return "kernel";
	if (!strcmp(env, "user"))
		return "user";
	if (!strcmp(env, "auto"))
		return module ? "kernel" : "user";
	return NULL;
}

static const char *lpel_backend_env(void)
{
	const char *env = getenv("LPEL_BACKEND");

	return env && *env ? env : NULL;
}

/* status: one line, when $LPEL_BACKEND makes the answer other than the module. */
void print_liblpel(bool module)
{
	const char *env = lpel_backend_env(), *b;

	if (!env)
		return;
	b = env_backend(env, module);
	if (!b)
		printf("liblpel: LPEL_BACKEND=%s is not a backend (kernel, user, auto): programs here fail with EINVAL\n",
		       env);
	else if (!strcmp(b, "user"))
		printf("liblpel: programs here run on the user backend (LPEL_BACKEND=%s%s)\n",
		       env, module ? "" : ", module absent");
	else if (!module)
		printf("liblpel: programs here fail with ENODEV (LPEL_BACKEND=%s, module absent)\n",
		       env);
}

/* status -j: "liblpel": {"LPEL_BACKEND": ..., "backend": ...} when it is set. */
void json_liblpel(struct json_writer *jw, bool module)
{
	const char *env = lpel_backend_env(), *b;

	if (!env)
		return;
	b = env_backend(env, module);
	jsonw_object_field(jw, "liblpel");
	jsonw_string_field(jw, "LPEL_BACKEND", env);
	if (b)
		jsonw_string_field(jw, "backend", b);
	else
		jsonw_null_field(jw, "backend");
	jsonw_end_object(jw);
}

