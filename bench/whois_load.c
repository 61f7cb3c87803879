/*
 * whois_load: a port-43 load generator that is not the bottleneck.
 *
 * N threads each open a connection, send one query line, read the reply until
 * the server closes, and repeat for the given duration (RFC 3912: one query per
 * connection). Prints queries/s, errors and p50/p99/p99.9 latency.
 *
 *   gcc -O2 -pthread -o /tmp/whois_load bench/whois_load.c
 *   /tmp/whois_load 127.0.0.1 4343 example.coop 64 10
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES 2000000

static struct sockaddr_in target;
static char query[512];
static size_t query_len;
static double deadline;
static double *samples;
static long sample_count, errors;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int one_query(void) {
    char buffer[16384];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    int ok = connect(fd, (struct sockaddr *)&target, sizeof target) == 0 &&
             send(fd, query, query_len, 0) == (ssize_t)query_len;
    long total = 0;
    ssize_t n;
    while (ok && (n = recv(fd, buffer, sizeof buffer, 0)) > 0) total += n;
    close(fd);
    return ok && total > 0 ? 0 : -1;
}

static void *worker(void *arg) {
    (void)arg;
    while (now() < deadline) {
        double started = now();
        int failed = one_query();
        double elapsed = now() - started;
        pthread_mutex_lock(&lock);
        if (failed) errors++;
        else if (sample_count < MAX_SAMPLES) samples[sample_count++] = elapsed;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s HOST PORT QUERY CONNECTIONS SECONDS\n", argv[0]);
        return 2;
    }
    memset(&target, 0, sizeof target);
    target.sin_family = AF_INET;
    target.sin_port = htons((unsigned short)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &target.sin_addr) != 1) return 2;
    query_len = (size_t)snprintf(query, sizeof query, "%s\r\n", argv[3]);
    int threads = atoi(argv[4]);
    double seconds = atof(argv[5]);
    samples = malloc(sizeof(double) * MAX_SAMPLES);
    pthread_t *ids = malloc(sizeof(pthread_t) * (size_t)threads);
    double started = now();
    deadline = started + seconds;
    for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, worker, NULL);
    for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    double elapsed = now() - started;
    qsort(samples, (size_t)sample_count, sizeof(double), by_value);
    if (sample_count == 0) {
        printf("no successful queries, %ld errors\n", errors);
        return 1;
    }
    printf("%d connections, %.1f s: %.0f queries/s, %ld errors, "
           "p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms\n",
           threads, elapsed, sample_count / elapsed, errors,
           samples[sample_count / 2] * 1e3, samples[(long)(sample_count * 0.99)] * 1e3,
           samples[(long)(sample_count * 0.999)] * 1e3);
    return 0;
}
