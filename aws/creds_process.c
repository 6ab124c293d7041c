/*
 * credential_process: run a command and read the AWS CLI's JSON from its
 * stdout ({"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken",
 * "Expiration", "AccountId"}). stdin and stderr are the caller's, so the
 * command can prompt and complain. Messages name the profile but never
 * echo the command line or the output: both may hold secrets.
 *
 * The command runs with posix_spawn, which is safe in a threaded process;
 * the pipe is close-on-exec so concurrent spawns do not inherit it.
 */
#include "aws/creds_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"

#define MAX_OUTPUT ((size_t)1 << 20)

extern char **environ;

struct process {
	tp_cred_provider base;
	char *command;
	char *who;          /* "profile dev" or "credential_process", for messages */
	char *source;       /* tp_creds.source */
	char *account_id;   /* the profile's aws_account_id, or NULL */
};

/* Read `fd` to the end into `out` (up to MAX_OUTPUT; the rest is drained). */
static void read_all(int fd, tp_buf *out)
{
	char chunk[4096];
	ssize_t n;

	tp_buf_init(out, MAX_OUTPUT);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (out->len + (size_t)n <= MAX_OUTPUT)
			tp_buf_add(out, chunk, (size_t)n);
	}
}

/*
 * The command starts with no signal blocked and default dispositions for
 * the signals a caller commonly blocks or ignores (a runner blocks SIGINT
 * in its threads, a server ignores SIGPIPE); exec would keep both.
 */
static void child_attributes(posix_spawnattr_t *attr)
{
	static const int sigs[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD };
	sigset_t none, defaults;
	size_t i;

	sigemptyset(&none);
	sigemptyset(&defaults);
	for (i = 0; i < TP_ARRAY_SIZE(sigs); i++)
		sigaddset(&defaults, sigs[i]);
	posix_spawnattr_init(attr);
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawnattr_setsigdefault(attr, &defaults);
	posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

/* Run the command; *status is its wait status. */
static int run(const struct process *p, tp_buf *out, int *status)
{
	char *argv[] = { "sh", "-c", p->command, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int fds[2], err;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return tp_error_set(TP_ERROR, "%s: cannot run credential_process: %s",
				    p->who, strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	child_attributes(&attr);
	err = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(fds[1]);
	if (err) {
		close(fds[0]);
		return tp_error_set(TP_ERROR, "%s: cannot run credential_process: %s",
				    p->who, strerror(err));
	}
	read_all(fds[0], out);
	close(fds[0]);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return tp_error_set(TP_ERROR, "%s: credential_process: waitpid: %s",
					    p->who, strerror(errno));
	return 0;
}

static int exit_error(const struct process *p, int status)
{
	if (WIFSIGNALED(status))
		return tp_error_set(TP_EAUTH, "%s: credential_process was killed by signal %d",
				    p->who, WTERMSIG(status));
	return tp_error_set(TP_EAUTH, "%s: credential_process exited with status %d",
			    p->who, WEXITSTATUS(status));
}

static const char *string_member(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The JSON document into `out`. */
static int parse_output(const struct process *p, const tp_buf *text, tp_creds *out)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text->ptr ? text->ptr : "", text->len, 0, &jerr);
	const char *id, *secret, *exp, *acct;
	int rc = 0;

	if (!doc)   /* jerr.text may quote the output: leave it out */
		return tp_error_set(TP_EAUTH, "%s: credential_process output is not valid JSON "
				    "(line %d, column %d)", p->who, jerr.line, jerr.column);
	id = string_member(doc, "AccessKeyId");
	secret = string_member(doc, "SecretAccessKey");
	exp = string_member(doc, "Expiration");
	acct = string_member(doc, "AccountId");
	if (!json_is_object(doc))
		rc = tp_error_set(TP_EAUTH, "%s: credential_process output is not a JSON object", p->who);
	else if (!json_is_integer(json_object_get(doc, "Version")) ||
		 json_integer_value(json_object_get(doc, "Version")) != 1)
		rc = tp_error_set(TP_EAUTH, "%s: credential_process output needs \"Version\": 1", p->who);
	else if (!id || !*id || !secret || !*secret)
		rc = tp_error_set(TP_EAUTH, "%s: credential_process output has no %s", p->who,
				  !id || !*id ? "AccessKeyId" : "SecretAccessKey");
	else if (exp && tp_time_parse_iso8601(exp, &out->expiration) < 0)
		rc = tp_error_set(TP_EAUTH, "%s: credential_process Expiration '%.64s' is not an "
				  "ISO 8601 time", p->who, exp);
	if (rc == 0) {
		out->access_key_id = tp_xstrdup(id);
		out->secret_access_key = tp_xstrdup(secret);
		out->session_token = tp_xstrdup(string_member(doc, "SessionToken"));
		out->account_id = tp_xstrdup(acct && *acct ? acct : p->account_id);
		out->source = tp_xstrdup(p->source);
	}
	json_decref(doc);
	return rc;
}

static int process_load(tp_cred_provider *self, tp_creds *out)
{
	struct process *p = (struct process *)self;
	tp_buf text = TP_BUF_INIT;
	int status = 0, rc;

	rc = run(p, &text, &status);
	if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		rc = exit_error(p, status);
	if (rc == 0)
		rc = parse_output(p, &text, out);
	if (text.ptr)
		memset(text.ptr, 0, text.len);   /* it held a secret */
	tp_buf_release(&text);
	return rc;
}

static void process_free(tp_cred_provider *self)
{
	struct process *p = (struct process *)self;

	free(p->command);
	free(p->who);
	free(p->source);
	free(p->account_id);
	free(p);
}

tp_cred_provider *tp_creds_process_new(const char *command, const char *profile,
				       const char *account_id)
{
	struct process *p = tp_xcalloc(1, sizeof(*p));

	p->base.name = "process";
	p->base.load = process_load;
	p->base.free = process_free;
	p->command = tp_xstrdup(command);
	p->who = profile ? tp_xasprintf("profile %s", profile) : tp_xstrdup("credential_process");
	p->source = profile ? tp_xasprintf("profile %s (credential_process)", profile)
			    : tp_xstrdup("credential_process");
	p->account_id = tp_xstrdup(account_id);
	return &p->base;
}

tp_cred_provider *tp_creds_process(const char *command, const char *profile)
{
	return tp_creds_cached(tp_creds_process_new(command, profile, NULL));
}
