/* toyvm: a tiny bytecode interpreter, the runtime the SDK's example plugin
 * names. Usage: toyvm PROGRAM.toy [SECONDS]   (SECONDS defaults to 3)
 *
 * A program is a list of functions (see programs/hot.toy):
 *   def NAME            starts a function
 *   work N              N units of CPU work
 *   call NAME           calls a function
 *   repeat N ... end    runs the enclosed instructions N times
 * toyvm prints "ready", runs `main` over and over for SECONDS (or until
 * SIGINT or SIGTERM), then prints
 * each function's share of its CPU time, charged to the function on top of
 * its frame stack, as one line: split {"parse": 44.10, ...}
 *
 * Like a real interpreter, each call does some work in toyvm_eval before it
 * pushes its frame and after it pops it (the "window"): that time is the
 * caller's, and a profiler must not give it to the callee. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "toyvm_layout.h"

enum toyvm_op { OP_WORK, OP_CALL, OP_REPEAT, OP_END };

struct toyvm_instruction {
	enum toyvm_op op;
	uint64_t arg; /* WORK: units; CALL: function index; REPEAT: count */
	uint64_t line;
	char callee[TOYVM_NAME_SIZE]; /* CALL, until resolved */
};

#define MAX_FUNCTIONS 32
#define MAX_CODE 512
#define MAX_LOOP_DEPTH 8
#define MAX_CALL_DEPTH 64
#define WORK_UNIT 10000 /* loop iterations per unit of `work` */
#define WINDOW_UNITS 2  /* work of each call before its push and after its pop */

static struct toyvm_function functions[MAX_FUNCTIONS];
static struct { uint32_t start, end; } bodies[MAX_FUNCTIONS];
static struct toyvm_instruction code[MAX_CODE];
static int function_count, code_count;
static uint64_t self_ns[MAX_FUNCTIONS];
static uint64_t accounted_at;
static int call_depth;
/* Bumped after calls, so that they stay real calls, not jumps, and the two
 * windows stay two functions. */
static volatile int calls, entered, left;
static volatile sig_atomic_t interrupted;

/* The top of the frame stack: what the plugin's BPF program reads. */
volatile struct toyvm_frame *volatile toyvm_top;

static void fail(const char *path, unsigned line, const char *message)
{
	fprintf(stderr, "toyvm: %s:%u: %s\n", path, line, message);
	exit(2);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static double seconds_now(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Charges the CPU time since the top of the stack last changed to the
 * function on top. */
static void account(void)
{
	uint64_t now = thread_cpu_ns();
	if (toyvm_top) {
		const struct toyvm_function *top =
			(const struct toyvm_function *)(uintptr_t)toyvm_top->function;
		self_ns[top - functions] += now - accounted_at;
	}
	accounted_at = now;
}

/* Up to one unit more per `work`, as data-dependent work varies: a strictly
 * periodic program aliases with a profiler's fixed sampling period, which
 * then sees the same few phases of it over and over. */
static uint64_t jitter(void)
{
	static uint64_t state = 0x9e3779b97f4a7c15u;
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state % WORK_UNIT;
}

__attribute__((noinline)) static void toyvm_work(uint64_t units)
{
	volatile uint64_t sum = 0;
	uint64_t n = units * WORK_UNIT + jitter();
	for (uint64_t i = 0; i < n; ++i)
		sum += i;
}

__attribute__((noinline)) static void toyvm_enter_window(void)
{
	toyvm_work(WINDOW_UNITS);
	++entered;
}

__attribute__((noinline)) static void toyvm_leave_window(void)
{
	toyvm_work(WINDOW_UNITS);
	++left;
}

static void toyvm_eval(const struct toyvm_function *function);

/* The interpreter's call machinery between two toyvm_eval runs. */
__attribute__((noinline)) static void toyvm_invoke(const struct toyvm_function *function)
{
	if (++call_depth > MAX_CALL_DEPTH) {
		fprintf(stderr, "toyvm: calls nested deeper than %d in %s\n", MAX_CALL_DEPTH,
			function->name);
		exit(1);
	}
	toyvm_eval(function);
	--call_depth;
	++calls;
}

__attribute__((noinline)) static void toyvm_eval(const struct toyvm_function *function)
{
	int index = (int)(function - functions);
	volatile struct toyvm_frame frame = {(uintptr_t)function, function->first_line,
					     (uintptr_t)toyvm_top};
	struct { uint32_t start; uint64_t left; } loops[MAX_LOOP_DEPTH];
	int depth = 0;

	toyvm_enter_window();
	account();
	toyvm_top = &frame;
	for (uint32_t pc = bodies[index].start; pc < bodies[index].end; ++pc) {
		const struct toyvm_instruction *in = &code[pc];
		frame.line = in->line;
		switch (in->op) {
		case OP_WORK:
			toyvm_work(in->arg);
			break;
		case OP_CALL:
			toyvm_invoke(&functions[in->arg]);
			break;
		case OP_REPEAT:
			loops[depth].start = pc;
			loops[depth].left = in->arg;
			++depth;
			break;
		case OP_END:
			if (--loops[depth - 1].left > 0)
				pc = loops[depth - 1].start;
			else
				--depth;
			break;
		}
	}
	account();
	toyvm_top = (volatile struct toyvm_frame *)(uintptr_t)frame.previous;
	toyvm_leave_window();
	++calls;
}

static void interrupt(int signal)
{
	(void)signal;
	interrupted = 1;
}

static int find_function(const char *name)
{
	for (int i = 0; i < function_count; ++i)
		if (strcmp(functions[i].name, name) == 0)
			return i;
	return -1;
}

static void load(const char *path)
{
	FILE *file = fopen(path, "r");
	if (!file)
		fail(path, 0, "cannot open the program");
	char text[256], word[64];
	unsigned line = 0;
	int loop_depth = 0;
	unsigned long long number;
	while (fgets(text, sizeof(text), file)) {
		++line;
		char *comment = strchr(text, '#');
		if (comment)
			*comment = '\0';
		int fields = sscanf(text, "%63s", word);
		if (fields != 1)
			continue;
		if (code_count == MAX_CODE)
			fail(path, line, "program too long");
		struct toyvm_instruction *in = &code[code_count];
		in->line = line;
		if (strcmp(word, "def") == 0) {
			if (loop_depth != 0)
				fail(path, line, "repeat without end");
			if (function_count == MAX_FUNCTIONS)
				fail(path, line, "too many functions");
			struct toyvm_function *f = &functions[function_count];
			if (sscanf(text, " def %31s", f->name) != 1)
				fail(path, line, "def needs a name");
			if (find_function(f->name) >= 0)
				fail(path, line, "function defined twice");
			snprintf(f->file, sizeof(f->file), "%s", path);
			f->first_line = line;
			if (function_count > 0)
				bodies[function_count - 1].end = (uint32_t)code_count;
			bodies[function_count].start = (uint32_t)code_count;
			++function_count;
			continue;
		}
		if (function_count == 0)
			fail(path, line, "instruction outside a function");
		if (strcmp(word, "work") == 0 && sscanf(text, " work %llu", &number) == 1) {
			in->op = OP_WORK;
			in->arg = number;
		} else if (strcmp(word, "call") == 0 &&
			   sscanf(text, " call %31s", in->callee) == 1) {
			in->op = OP_CALL;
		} else if (strcmp(word, "repeat") == 0 &&
			   sscanf(text, " repeat %llu", &number) == 1 && number > 0) {
			if (++loop_depth > MAX_LOOP_DEPTH)
				fail(path, line, "repeat nested too deep");
			in->op = OP_REPEAT;
			in->arg = number;
		} else if (strcmp(word, "end") == 0) {
			if (--loop_depth < 0)
				fail(path, line, "end without repeat");
			in->op = OP_END;
		} else {
			fail(path, line, "expected def NAME, work N, call NAME, repeat N (N > 0) or end");
		}
		++code_count;
	}
	fclose(file);
	if (loop_depth != 0)
		fail(path, line, "repeat without end");
	if (function_count == 0)
		fail(path, line, "no functions");
	bodies[function_count - 1].end = (uint32_t)code_count;
	for (int i = 0; i < code_count; ++i) {
		if (code[i].op != OP_CALL)
			continue;
		int callee = find_function(code[i].callee);
		if (callee < 0)
			fail(path, (unsigned)code[i].line, "call of an undefined function");
		code[i].arg = (uint64_t)callee;
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: toyvm PROGRAM.toy [SECONDS]\n");
		return 2;
	}
	double seconds = argc > 2 ? atof(argv[2]) : 3.0;
	load(argv[1]);
	int entry = find_function("main");
	if (entry < 0)
		fail(argv[1], 0, "no function main");
	signal(SIGINT, interrupt);
	signal(SIGTERM, interrupt);
	printf("ready\n");
	fflush(stdout);

	accounted_at = thread_cpu_ns();
	double end = seconds_now() + seconds;
	while (!interrupted && seconds_now() < end)
		toyvm_invoke(&functions[entry]);

	uint64_t total = 0;
	for (int i = 0; i < function_count; ++i)
		total += self_ns[i];
	printf("split {");
	for (int i = 0; i < function_count; ++i)
		printf("%s\"%s\": %.2f", i ? ", " : "", functions[i].name,
		       total ? 100.0 * (double)self_ns[i] / (double)total : 0.0);
	printf("}\n");
	return 0;
}
