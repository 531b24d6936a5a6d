/*
 * tests/k8s/fake_server.h - tests/k8s/fake_apiserver.py for the Kubernetes
 * tests (test_k8s.c, test_policy.c, test_actuate.c): starting and stopping
 * it, an ag_k8s client for it, its JSON-lines request log, the temporary
 * directory the logs go to, and tests/k8s/check_log.py on a log.
 *
 * fake_server_start() runs python3 fake_apiserver.py --data DIR --log LOG
 * --token TOKEN plus the test's extra arguments (--page-size, --conflict,
 * --no-resize, ...), reads the port from the first line the server prints
 * and notes its pid; fake_server_stop_all(), as a cmocka teardown, stops
 * what a failed case left running. Header-only: every function is static
 * inline, so a test that does not use one builds warning-free.
 */
#ifndef AG_TEST_K8S_FAKE_SERVER_H
#define AG_TEST_K8S_FAKE_SERVER_H

#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ag_test.h"
#include "augur/k8s.h"

#define FAKE_SERVER_MAX_LIVE 8
#define FAKE_SERVER_MAX_EXTRA 16

typedef struct fake_server {
    pid_t pid;
    int port;
    char log[512]; /* the request log, one JSON object a line */
} fake_server;

/* Servers still running, stopped by fake_server_stop_all. */
static pid_t fake_server_live[FAKE_SERVER_MAX_LIVE];

/* Starts the server with its log at dir/logname, the bearer token it
 * accepts, the data directory (NULL: tests/k8s/data) and extra arguments
 * (NULL-terminated, or NULL). */
static inline void fake_server_start(fake_server *s, const char *dir, const char *logname,
                                     const char *token, const char *data, const char *const *extra)
{
    char script[512], data_dir[512], portline[32];
    const char *argv[8 + FAKE_SERVER_MAX_EXTRA + 1];
    int fds[2], n = 0;
    FILE *f;

    ag_test_path(script, sizeof script, "tests/k8s/fake_apiserver.py");
    if (!data)
        data = ag_test_path(data_dir, sizeof data_dir, "tests/k8s/data");
    snprintf(s->log, sizeof s->log, "%s/%s", dir, logname);
    argv[n++] = "python3";
    argv[n++] = script;
    argv[n++] = "--data";
    argv[n++] = data;
    argv[n++] = "--log";
    argv[n++] = s->log;
    argv[n++] = "--token";
    argv[n++] = token;
    for (; extra && *extra; extra++) {
        assert_true(n < 8 + FAKE_SERVER_MAX_EXTRA);
        argv[n++] = *extra;
    }
    argv[n] = NULL;
    assert_int_equal(pipe(fds), 0);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execvp("python3", (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    for (size_t i = 0; i < FAKE_SERVER_MAX_LIVE; i++)
        if (!fake_server_live[i]) {
            fake_server_live[i] = s->pid;
            break;
        }
    f = fdopen(fds[0], "r");
    assert_non_null(f);
    if (!fgets(portline, sizeof portline, f))
        fail_msg("fake_apiserver.py did not start");
    fclose(f);
    s->port = atoi(portline);
    assert_true(s->port > 0);
}

/* Stops one server (SIGTERM, then waits) and forgets its pid. */
static inline void fake_server_stop_pid(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    for (size_t i = 0; i < FAKE_SERVER_MAX_LIVE; i++)
        if (fake_server_live[i] == pid)
            fake_server_live[i] = 0;
}

static inline void fake_server_stop(fake_server *s)
{
    if (s->pid > 0) {
        fake_server_stop_pid(s->pid);
        s->pid = 0;
    }
}

/* A cmocka teardown: stops the servers a failed case left running. */
static inline int fake_server_stop_all(void **state)
{
    for (size_t i = 0; i < FAKE_SERVER_MAX_LIVE; i++)
        if (fake_server_live[i])
            fake_server_stop_pid(fake_server_live[i]);
    return 0;
}

/* A client config for the server (zeroed but for server and token), its
 * URL in url. */
static inline void fake_server_config(const fake_server *s, ag_k8s_config *c, char *url,
                                      size_t urllen, const char *token)
{
    memset(c, 0, sizeof *c);
    snprintf(url, urllen, "http://127.0.0.1:%d", s->port);
    c->server = url;
    c->token = (char *)token;
}

/* A client with the token and a 10 s timeout. */
static inline ag_k8s *fake_server_client(const fake_server *s, const char *token)
{
    char url[64];
    ag_k8s_config c;
    ag_k8s *k = NULL;
    ag_errinfo ei = {{0}};

    fake_server_config(s, &c, url, sizeof url, token);
    c.timeout_ms = 10000;
    assert_int_equal(ag_k8s_new(&c, &k, &ei), AG_OK);
    return k;
}

/* The request log as a JSON array (empty when there is no log). */
static inline json_t *fake_server_read_log(const fake_server *s)
{
    FILE *f = fopen(s->log, "r");
    json_t *a = json_array();
    char line[1 << 16];

    assert_non_null(a);
    if (!f)
        return a;
    while (fgets(line, sizeof line, f)) {
        json_t *e = json_loads(line, 0, NULL);
        assert_non_null(e);
        json_array_append_new(a, e);
    }
    fclose(f);
    return a;
}

/* Runs tests/k8s/check_log.py [opt] LOG TOKEN CRD [tail] on the stopped
 * server's log (crd relative to the source tree); it must pass. */
static inline void fake_server_check_log(const fake_server *s, const char *opt, const char *token,
                                         const char *crd_rel, const char *tail)
{
    char cmd[2048], script[512], crd[512];

    ag_test_path(script, sizeof script, "tests/k8s/check_log.py");
    ag_test_path(crd, sizeof crd, crd_rel);
    snprintf(cmd, sizeof cmd, "python3 '%s' %s '%s' '%s' '%s' %s", script, opt ? opt : "", s->log,
             token, crd, tail ? tail : "");
    assert_int_equal(system(cmd), 0);
}

/* A cmocka group setup's part: a new directory from a mkdtemp template
 * ("/tmp/ag-k8s-test-XXXXXX") in dir. 0, or -1. */
static inline int fake_server_mkdtemp(char *dir, size_t len, const char *tmpl)
{
    snprintf(dir, len, "%s", tmpl);
    return mkdtemp(dir) ? 0 : -1;
}

/* A cmocka group teardown's part: removes dir, but keeps it (the request
 * logs, for a look) when AG_K8S_KEEP is set. 0, or -1. */
static inline int fake_server_rmdir(const char *dir)
{
    char cmd[300];

    if (getenv("AG_K8S_KEEP")) {
        fprintf(stderr, "kept %s\n", dir);
        return 0;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Skips (77) the whole test when python3 cannot run the server; ignores
 * SIGPIPE (a server gone mid-request). */
static inline void fake_server_require_python(void)
{
    if (system("python3 -c 'import http.server' >/dev/null 2>&1") != 0)
        AG_SKIP_ALL("python3 is absent: the test API server cannot run");
    signal(SIGPIPE, SIG_IGN);
}

#endif
