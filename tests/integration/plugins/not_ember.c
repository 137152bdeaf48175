/* A valid shared object that is not an ember plugin: no ember_abi_version. */
int not_ember_answer(void);
int not_ember_answer(void) { return 42; }
