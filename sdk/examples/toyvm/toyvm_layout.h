/* What toyvm keeps in memory for its frame stack, shared by the interpreter
 * (toyvm.c), the plugin's BPF program (toyvm.bpf.c) that walks it and the
 * plugin (toyvm_plugin.cpp) that names it. Fixed-width fields only: the BPF
 * program and the plugin read it from the process by these offsets. */
#ifndef TOYVM_LAYOUT_H
#define TOYVM_LAYOUT_H

#define TOYVM_NAME_SIZE 32
#define TOYVM_FILE_SIZE 96

/* One function of the program, alive for the whole run. */
struct toyvm_function {
	char name[TOYVM_NAME_SIZE];
	char file[TOYVM_FILE_SIZE];
	unsigned long long first_line;
};

/* One running call: the record lives on the C stack of the toyvm_eval call
 * that runs it, pushed on the frame stack whose top is `toyvm_top`. */
struct toyvm_frame {
	unsigned long long function; /* struct toyvm_function * */
	unsigned long long line;     /* of the instruction running now */
	unsigned long long previous; /* struct toyvm_frame *, 0 at the bottom */
};

#endif
