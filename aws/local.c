/*
 * The moto launcher. DESIGN: fork + execve of moto_server (resolved on PATH
 * before the fork; the environment is built before the fork too, so the
 * child only makes async-signal-safe calls), own process group, parent-death
 * signal. Readiness is polled on /moto-api/. Bootstrap calls go through our
 * own client, signed, exactly as every later call.
 */
#include "aws/local.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/http.h"
#include "aws/util.h"
#include "aws/xml.h"

#define BOOT_KEY "AKIAIOSFODNN7EXAMPLE"
#define BOOT_SECRET "tidepool-local-bootstrap"
#define AUTH_BOOTSTRAP_CALLS 3
#define MGMT_ACCOUNT "123456789012"

extern char **environ;

struct tp_local {
	pid_t pid;
	char endpoint[64];
	char *access_key, *secret_key;
	char **accounts;
	size_t naccounts;
	char root_id[64];
	char *log_path;
	int own_log;
};

/* moto_server on PATH, or NULL. Caller frees. */
static char *find_moto(void)
{
	const char *p = getenv("PATH");

	while (p && *p) {
		size_t n = strcspn(p, ":");
		char *cand = tp_xasprintf("%.*s/moto_server", n ? (int)n : 1, n ? p : ".");

		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
		p += n;
		if (*p == ':')
			p++;
	}
	return NULL;
}

static int free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* environ minus any INITIAL_NO_AUTH_ACTION_COUNT, plus ours when auth. */
static char **child_env(int auth, char *extra)
{
	size_t n = 0, i, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = tp_xcalloc(n + 2, sizeof(*env));
	for (i = 0; i < n; i++)
		if (!tp_starts_with(environ[i], "INITIAL_NO_AUTH_ACTION_COUNT="))
			env[j++] = environ[i];
	if (auth)
		env[j++] = extra;
	env[j] = NULL;
	return env;
}

static int spawn(tp_local *l, const char *moto, int port, int auth)
{
	char portbuf[16], authvar[64];
	char *argv[] = { (char *)moto, "-H", "127.0.0.1", "-p", portbuf, NULL };
	char **env;
	pid_t parent = getpid();
	int logfd;

	snprintf(portbuf, sizeof(portbuf), "%d", port);
	snprintf(authvar, sizeof(authvar), "INITIAL_NO_AUTH_ACTION_COUNT=%d", AUTH_BOOTSTRAP_CALLS);
	env = child_env(auth, authvar);
	logfd = open(l->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (logfd < 0) {
		free(env);
		return tp_error_set(TP_ERROR, "cannot open %s: %s", l->log_path, strerror(errno));
	}
	l->pid = fork();
	if (l->pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		dup2(logfd, 1);
		dup2(logfd, 2);
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		execve(moto, argv, env);
		_exit(127);
	}
	close(logfd);
	free(env);
	if (l->pid < 0)
		return tp_error_set(TP_ERROR, "cannot start moto_server: %s", strerror(errno));
	setpgid(l->pid, l->pid);
	return 0;
}

static const char *log_tail(const tp_local *l, char *buf, size_t size)
{
	char *data = NULL;
	size_t len = 0;

	buf[0] = '\0';
	if (tp_read_file(l->log_path, &data, &len) == 0) {
		const char *p = len > size - 1 ? data + len - (size - 1) : data;
		tp_strlcpy(buf, p, size);
	}
	free(data);
	tp_error_clear();
	return buf;
}

static int wait_ready(tp_local *l, int timeout_ms)
{
	int64_t deadline = tp_now_ms() + timeout_ms;
	char url[96], tail[1024];

	snprintf(url, sizeof(url), "%s/moto-api/", l->endpoint);
	while (tp_now_ms() < deadline) {
		tp_http_response resp = TP_HTTP_RESPONSE_INIT;
		tp_http_request req = { "GET", url, NULL, 0, NULL, 0, 500, 2000, 0 };
		int rc = tp_http_send(&resp, &req), status;
		long code = resp.status;

		tp_http_response_release(&resp);
		if (rc == 0 && code == 200)
			return 0;
		if (waitpid(l->pid, &status, WNOHANG) == l->pid) {
			l->pid = 0;
			return tp_error_set(TP_ERROR, "moto_server exited at start-up:\n%s",
					    log_tail(l, tail, sizeof(tail)));
		}
		tp_sleep_ms(50);
	}
	return tp_error_set(TP_ETIMEOUT, "moto_server did not answer on %s within %d ms:\n%s",
			    l->endpoint, timeout_ms, log_tail(l, tail, sizeof(tail)));
}

static int boot_client(tp_aws_client **out, const tp_local *l, const char *key, const char *secret)
{
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;

	o.region = "us-east-1";
	o.endpoint_url = l->endpoint;
	o.creds = tp_creds_static(key, secret, NULL);
	o.max_attempts = 1;
	return tp_aws_client_new(out, &o);
}

/* The three unauthenticated calls: user, "*" policy, access key. */
static int bootstrap_auth(tp_local *l)
{
	static const char policy[] = "{\"Version\":\"2012-10-17\",\"Statement\":"
				     "[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}";
	tp_params p = TP_PARAMS_INIT;
	tp_aws_client *c = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr key;
	int rc;

	if ((rc = boot_client(&c, l, BOOT_KEY, BOOT_SECRET)) < 0)
		return rc;
	tp_params_add(&p, "UserName", "tidepool");
	if ((rc = tp_aws_query(c, &doc, "iam", NULL, "CreateUser", &p)) < 0)
		goto done;
	xmlFreeDoc(doc);
	tp_params_add(&p, "PolicyName", "everything");
	tp_params_add(&p, "PolicyDocument", policy);
	if ((rc = tp_aws_query(c, &doc, "iam", NULL, "PutUserPolicy", &p)) < 0)
		goto done;
	xmlFreeDoc(doc);
	tp_params_release(&p);
	tp_params_add(&p, "UserName", "tidepool");
	if ((rc = tp_aws_query(c, &doc, "iam", NULL, "CreateAccessKey", &p)) < 0)
		goto done;
	key = tp_xml_path(tp_xml_root(doc), "CreateAccessKeyResult/AccessKey");
	free(l->access_key);
	free(l->secret_key);
	l->access_key = tp_xml_text(key, "AccessKeyId");
	l->secret_key = tp_xml_text(key, "SecretAccessKey");
	if (!l->access_key || !l->secret_key)
		rc = tp_error_set(TP_ERROR, "moto: CreateAccessKey returned no key");
done:
	xmlFreeDoc(doc);
	tp_params_release(&p);
	tp_aws_client_free(c);
	return rc;
}

static int create_account(tp_local *l, tp_aws_client *c, size_t i)
{
	json_t *req, *resp = NULL;
	const char *state, *id;
	char name[64], email[96];
	int rc;

	snprintf(name, sizeof(name), "tidepool-pool-%zu", i + 1);
	snprintf(email, sizeof(email), "pool-%zu@tidepool.invalid", i + 1);
	req = json_pack("{s:s, s:s}", "AccountName", name, "Email", email);
	rc = tp_aws_json(c, &resp, "organizations", NULL, "CreateAccount", req);
	json_decref(req);
	if (rc < 0)
		return rc;
	state = json_string_value(json_object_get(json_object_get(resp, "CreateAccountStatus"), "State"));
	id = json_string_value(json_object_get(json_object_get(resp, "CreateAccountStatus"), "AccountId"));
	if (!state || strcmp(state, "SUCCEEDED") != 0 || !id)
		rc = tp_error_set(TP_ERROR, "moto: CreateAccount %s did not succeed", name);
	else
		l->accounts[l->naccounts++] = tp_xstrdup(id);
	json_decref(resp);
	return rc;
}

static int create_org(tp_local *l, int n)
{
	tp_aws_client *c = NULL;
	json_t *req, *resp = NULL, *roots;
	int rc, i;

	if ((rc = boot_client(&c, l, l->access_key, l->secret_key)) < 0)
		return rc;
	req = json_pack("{s:s}", "FeatureSet", "ALL");
	rc = tp_aws_json(c, &resp, "organizations", NULL, "CreateOrganization", req);
	json_decref(req);
	json_decref(resp);
	resp = NULL;
	if (rc == 0)
		rc = tp_aws_json(c, &resp, "organizations", NULL, "ListRoots", NULL);
	roots = json_object_get(resp, "Roots");
	if (rc == 0 && json_is_string(json_object_get(json_array_get(roots, 0), "Id")))
		tp_strlcpy(l->root_id, json_string_value(json_object_get(json_array_get(roots, 0), "Id")),
			   sizeof(l->root_id));
	json_decref(resp);
	l->accounts = tp_xcalloc((size_t)n + 1, sizeof(*l->accounts));
	for (i = 0; rc == 0 && i < n; i++)
		rc = create_account(l, c, (size_t)i);
	tp_aws_client_free(c);
	return rc;
}

static int prepare_log(tp_local *l, const char *path)
{
	if (path) {
		l->log_path = tp_xstrdup(path);
		return 0;
	}
	const char *tmp = getenv("TMPDIR");
	l->log_path = tp_xasprintf("%s/tidepool-moto-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(l->log_path);
	if (fd < 0)
		return tp_error_set(TP_ERROR, "cannot create a log file: %s", strerror(errno));
	close(fd);
	l->own_log = 1;
	return 0;
}

int tp_local_start(tp_local **out, const tp_local_opts *opts)
{
	tp_local_opts none = TP_LOCAL_OPTS_INIT;
	tp_local *l;
	char *moto;
	int port, rc;

	*out = NULL;
	opts = opts ? opts : &none;
	moto = find_moto();
	if (!moto)
		return tp_error_set(TP_ENOTFOUND,
				    "moto_server is not installed (it is the local AWS); install it with: pip install 'moto[server]'");
	l = tp_xcalloc(1, sizeof(*l));
	l->access_key = tp_xstrdup(BOOT_KEY);
	l->secret_key = tp_xstrdup(BOOT_SECRET);
	port = free_port();
	snprintf(l->endpoint, sizeof(l->endpoint), "http://127.0.0.1:%d", port);
	rc = port < 0 ? tp_error_set(TP_ERROR, "no free loopback port") : prepare_log(l, opts->log_path);
	if (rc == 0)
		rc = spawn(l, moto, port, opts->auth);
	if (rc == 0)
		rc = wait_ready(l, opts->start_timeout_ms > 0 ? opts->start_timeout_ms : 60000);
	if (rc == 0 && opts->auth)
		rc = bootstrap_auth(l);
	if (rc == 0 && opts->accounts > 0)
		rc = create_org(l, opts->accounts);
	free(moto);
	if (rc < 0) {
		tp_error save;
		tp_error_save(&save);
		tp_local_stop(l);
		tp_error_restore(&save);
		return rc;
	}
	*out = l;
	return 0;
}

static int reap(pid_t pid, int64_t wait_ms)
{
	int64_t deadline = tp_now_ms() + wait_ms;
	int status;

	while (tp_now_ms() < deadline) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return 0;
		tp_sleep_ms(20);
	}
	return -1;
}

void tp_local_stop(tp_local *l)
{
	size_t i;

	if (!l)
		return;
	if (l->pid > 0) {
		kill(-l->pid, SIGTERM);
		if (reap(l->pid, 5000) < 0) {
			kill(-l->pid, SIGKILL);
			reap(l->pid, 5000);
		}
	}
	if (l->own_log && l->log_path)
		unlink(l->log_path);
	for (i = 0; i < l->naccounts; i++)
		free(l->accounts[i]);
	free(l->accounts);
	free(l->access_key);
	free(l->secret_key);
	free(l->log_path);
	free(l);
}

const char *tp_local_endpoint(const tp_local *l) { return l->endpoint; }
const char *tp_local_access_key(const tp_local *l) { return l->access_key; }
const char *tp_local_secret_key(const tp_local *l) { return l->secret_key; }
const char *tp_local_management_account(const tp_local *l) { (void)l; return MGMT_ACCOUNT; }
size_t tp_local_account_count(const tp_local *l) { return l->naccounts; }
const char *tp_local_account(const tp_local *l, size_t i) { return i < l->naccounts ? l->accounts[i] : NULL; }
const char *tp_local_root_id(const tp_local *l) { return l->root_id; }
int tp_local_pid(const tp_local *l) { return (int)l->pid; }

tp_cred_provider *tp_local_creds(const tp_local *l)
{
	return tp_creds_static(l->access_key, l->secret_key, NULL);
}
