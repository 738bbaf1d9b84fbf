/* firstline - how long a command takes from exec to its first output line.
 * usage: firstline RUNS COMMAND [ARG]...   prints the median in microseconds */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* One run: exec to the first '\n' on the command's stdout; -1 on failure. */
static double once(char **argv)
{
	int fds[2];
	double t0 = now_us(), t = -1;
	pid_t pid;
	char c;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while (read(fds[0], &c, 1) == 1)
		if (c == '\n' && t < 0)
			t = now_us() - t0;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return t;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[1]) : 0;
	double *t;

	if (runs <= 0) {
		fprintf(stderr, "usage: firstline RUNS COMMAND [ARG]...\n");
		return 2;
	}
	t = calloc((size_t)runs, sizeof *t);
	for (int i = 0; i < runs; i++)
		if ((t[i] = once(argv + 2)) < 0) {
			fprintf(stderr, "firstline: %s printed no line\n", argv[2]);
			return 1;
		}
	qsort(t, (size_t)runs, sizeof *t, by_value);
	printf("%.0f\n", t[runs / 2]);
	free(t);
	return 0;
}
