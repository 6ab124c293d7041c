#include "cleaner/fields.h"

#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "aws/xml.h"

const char *tp_jstr(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int tp_jbool(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

time_t tp_jtime(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	time_t t = 0;

	if (json_is_number(v)) {
		double d = json_number_value(v);
		/* Lambda and a few others answer in milliseconds. */
		if (d > 1e11)
			d /= 1000;
		/* Past year 9999 is no date (and past time_t, undefined to convert). */
		return d > 0 && d < 253402300800.0 ? (time_t)d : 0;
	}
	if (json_is_string(v) && tp_time_parse_iso8601(json_string_value(v), &t) < 0) {
		/* Lambda's LastModified: "2019-01-01T00:00:00.000+0000" */
		char tmp[40];
		size_t n = tp_strlcpy(tmp, json_string_value(v), sizeof(tmp));

		if (n >= 5 && n < sizeof(tmp) - 1 && (tmp[n - 5] == '+' || tmp[n - 5] == '-')) {
			memmove(tmp + n - 1, tmp + n - 2, 3);
			tmp[n - 2] = ':';
			if (tp_time_parse_iso8601(tmp, &t) == 0)
				return t;
		}
		return 0;
	}
	return t;
}

time_t tp_xml_time(xmlNodePtr from, const char *path)
{
	char buf[64];
	time_t t = 0;

	tp_xml_text_buf(from, path, buf, sizeof(buf));
	if (!buf[0] || tp_time_parse_iso8601(buf, &t) < 0)
		return 0;
	return t;
}

int tp_error_is(const char *code)
{
	return strcmp(tp_error_last()->aws_code, code) == 0;
}
