/*
 * Writing one profile into the AWS CLI's shared config file, for
 * `tidepool claim --profile NAME`.
 *
 * The file is AWS_CONFIG_FILE (a leading "~/" is the home directory), else
 * ~/.aws/config. It is rewritten atomically: the new text goes to a
 * temporary file in the same directory (mode 0600), is flushed to disk and
 * renamed over the old file (through a symlink to its target), so a reader
 * sees the old file or the new one, never half of one. Everything outside
 * the profile's section (other profiles, comments, blank lines) is kept
 * byte-for-byte. The section ("[profile NAME]", or "[default]") is replaced
 * in place, keeping comment and blank lines that trail it; a new profile is
 * appended.
 */
#ifndef TP_AWS_PROFILE_H
#define TP_AWS_PROFILE_H

#include <stddef.h>

typedef struct tp_profile_setting {
	const char *key;
	const char *value;
} tp_profile_setting;

/* The config file's path (caller frees). */
char *tp_aws_config_path(void);

/*
 * Make `profile` consist of `settings` in the file at `path`. TP_EINVAL for
 * a profile name the file cannot hold; TP_ERROR naming the path when it
 * cannot be read or written (the old file is then unchanged).
 */
int tp_aws_profile_write(const char *path, const char *profile,
			 const tp_profile_setting *settings, size_t n);

/* The profile's section text as written ("[profile dev]\nkey = value\n..."), caller frees. */
char *tp_aws_profile_section(const char *profile, const tp_profile_setting *settings, size_t n);

/*
 * `text` with the section of `profile` replaced by `section` (or `section`
 * appended). Caller frees.
 */
char *tp_aws_profile_splice(const char *text, const char *profile, const char *section);

#endif
