/* One profile of the AWS CLI's config file, rewritten atomically (see aws_profile.h). */
#include "runner/aws_profile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"

char *tp_aws_config_path(void)
{
	const char *env = getenv("AWS_CONFIG_FILE"), *home = getenv("HOME");

	if (env && *env && tp_starts_with(env, "~/") && home)
		return tp_xasprintf("%s/%s", home, env + 2);
	if (env && *env)
		return tp_xstrdup(env);
	return tp_xasprintf("%s/.aws/config", home ? home : "");
}

char *tp_aws_profile_section(const char *profile, const tp_profile_setting *settings, size_t n)
{
	tp_buf b = TP_BUF_INIT;
	size_t i;

	if (strcmp(profile, "default") == 0)
		tp_buf_adds(&b, "[default]\n");
	else
		tp_buf_addf(&b, "[profile %s]\n", profile);
	for (i = 0; i < n; i++)
		tp_buf_addf(&b, "%s = %s\n", settings[i].key, settings[i].value);
	return tp_buf_detach(&b);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Is this line ([start, start+len)) a section header naming the profile `profile`? -1: no header. */
static int header_is(const char *line, size_t len, const char *profile)
{
	const char *p = line, *end = line + len, *close;
	size_t n;

	while (p < end && is_space(*p))
		p++;
	if (p == end || *p != '[' || !(close = memchr(p, ']', (size_t)(end - p))))
		return -1;
	for (p++; p < close && is_space(*p); p++)
		;
	while (close > p && is_space(close[-1]))
		close--;
	n = (size_t)(close - p);
	if (n > 8 && strncmp(p, "profile", 7) == 0 && is_space(p[7])) {
		for (p += 7; p < close && is_space(*p); p++)
			;
		n = (size_t)(close - p);
	} else if (!(n == 7 && strncmp(p, "default", 7) == 0)) {
		return 0;
	}
	return n == strlen(profile) && strncmp(p, profile, n) == 0;
}

/* A blank or comment line: kept when it trails the replaced section. */
static int is_filler(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && (is_space(line[i]) || line[i] == '\n'))
		i++;
	return i == len || line[i] == '#' || line[i] == ';';
}

struct splice {
	tp_buf out, trailing;
	const char *section;
	int in_target, done;
};

static void end_target(struct splice *s)
{
	if (!s->done)
		tp_buf_adds(&s->out, s->section);
	s->done = 1;
	tp_buf_add(&s->out, s->trailing.ptr, s->trailing.len);
	tp_buf_reset(&s->trailing);
	s->in_target = 0;
}

static void take_line(struct splice *s, const char *line, size_t len, const char *profile)
{
	int header = header_is(line, len, profile);

	if (header >= 0 && s->in_target)
		end_target(s);
	if (header == 1)
		s->in_target = 1;
	else if (!s->in_target)
		tp_buf_add(&s->out, line, len);
	else if (is_filler(line, len))
		tp_buf_add(&s->trailing, line, len);
	else
		tp_buf_reset(&s->trailing);   /* filler between settings goes with them */
}

char *tp_aws_profile_splice(const char *text, const char *profile, const char *section)
{
	struct splice s = { TP_BUF_INIT, TP_BUF_INIT, section, 0, 0 };
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
		take_line(&s, p, len, profile);
		p += len;
	}
	if (s.in_target)
		end_target(&s);
	if (!s.done) {
		if (s.out.len && s.out.ptr[s.out.len - 1] != '\n')
			tp_buf_addc(&s.out, '\n');
		if (s.out.len)
			tp_buf_addc(&s.out, '\n');
		tp_buf_adds(&s.out, section);
	}
	tp_buf_release(&s.trailing);
	return tp_buf_detach(&s.out);
}

static int check(const char *profile, const tp_profile_setting *settings, size_t n)
{
	size_t i;

	if (!*profile || strpbrk(profile, "[]\n\r") || is_space(profile[0]) ||
	    is_space(profile[strlen(profile) - 1]))
		return tp_error_set(TP_EINVAL, "'%s' cannot be an AWS CLI profile name", profile);
	for (i = 0; i < n; i++)
		if (strpbrk(settings[i].value, "\n\r"))
			return tp_error_set(TP_EINVAL, "profile %s: %s cannot hold a line break",
					    profile, settings[i].key);
	return 0;
}

/* mkdir -p of the directory part of `path` (new directories 0700: ~/.aws). */
static int make_parents(const char *path)
{
	char *dir = tp_xstrdup(path), *p;
	int rc = 0;

	for (p = dir + 1; rc == 0 && (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			rc = tp_error_set(TP_ERROR, "cannot create %s: %s", dir, strerror(errno));
		*p = '/';
	}
	free(dir);
	return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int replace_file(const char *path, const char *text)
{
	char *tmp = tp_xasprintf("%s.tidepool-XXXXXX", path);
	int fd = mkstemp(tmp), ok, err, rc = 0;

	if (fd < 0) {
		rc = tp_error_set(TP_ERROR, "cannot write next to %s: %s", path, strerror(errno));
		free(tmp);
		return rc;
	}
	ok = fchmod(fd, 0600) == 0 && write_all(fd, text, strlen(text)) == 0 && fsync(fd) == 0;
	err = errno;
	if (close(fd) < 0 && ok) {
		ok = 0;
		err = errno;
	}
	if (ok && rename(tmp, path) < 0) {
		ok = 0;
		err = errno;
	}
	if (!ok) {
		unlink(tmp);
		rc = tp_error_set(TP_ERROR, "cannot write %s: %s", path, strerror(err));
	}
	free(tmp);
	return rc;
}

static int read_existing(const char *path, char **text)
{
	size_t len;

	if (access(path, F_OK) < 0 && errno == ENOENT) {
		*text = tp_xstrdup("");
		return 0;
	}
	return tp_read_file(path, text, &len);
}

int tp_aws_profile_write(const char *path, const char *profile,
			 const tp_profile_setting *settings, size_t n)
{
	char target[PATH_MAX], *text = NULL, *section = NULL, *out = NULL;
	int rc;

	if (check(profile, settings, n) < 0)
		return TP_EINVAL;
	if (!realpath(path, target))
		tp_strlcpy(target, path, sizeof(target));   /* new file: write it where named */
	if ((rc = make_parents(target)) < 0 || (rc = read_existing(target, &text)) < 0)
		return rc;
	section = tp_aws_profile_section(profile, settings, n);
	out = tp_aws_profile_splice(text, profile, section);
	rc = replace_file(target, out);
	free(text);
	free(section);
	free(out);
	return rc;
}
