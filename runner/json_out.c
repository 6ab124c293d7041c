/* JSON output of the commands (see json_out.h). */
#include "runner/json_out.h"

#include <stdio.h>

#include "aws/util.h"

int tp_json_print(json_t *doc)
{
	json_dumpf(doc, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(doc);
	return 0;
}

json_t *tp_json_time(time_t t)
{
	char buf[32];

	if (!t)
		return json_null();
	tp_time_iso8601(buf, sizeof(buf), t);
	return json_string(buf);
}

json_t *tp_json_string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}
