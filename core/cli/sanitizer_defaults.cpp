// Linked into ember, emberd and the unit tests of sanitizer builds only
// (EMBER_SANITIZE).
//
// The sanitizer runtime of GCC up to 13 and Clang up to 16 takes a dynamic TLS
// block that starts 16 bytes into a page for a glibc 2.19-2.24 block, and reads
// the 16 bytes before it as that block's address and size. Since glibc 2.25 the
// block (of a library loaded with dlopen: the native plugin's libdw/libunwind)
// is a plain malloc, so those bytes are ASan's own chunk header, and at exit
// LeakSanitizer scans the garbage range they give and dies ("Tracer caught
// signal 11"). Where the block lands is heap layout: any unrelated allocation
// can move it there. Not intercepting __tls_get_addr only stops LeakSanitizer
// scanning dynamic TLS for pointers; ASAN_OPTIONS still overrides this.
#if defined(__clang__)
#define EMBER_TLS_HEADER_GUESS (__clang_major__ < 17)
#else
#define EMBER_TLS_HEADER_GUESS (__GNUC__ < 14)
#endif

#if EMBER_TLS_HEADER_GUESS
extern "C" const char* __asan_default_options() { return "intercept_tls_get_addr=0"; }
#endif
