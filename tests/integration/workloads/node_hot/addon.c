// A tiny N-API addon for the Node.js plugin's test: mix(rounds) spins in C
// (addon_mix, built with frame pointers as the workloads are), so a sample
// in it has JavaScript rootward, called through node's N-API glue.
#include <node_api.h>
#include <stdint.h>

__attribute__((noinline)) static uint32_t addon_mix(int64_t rounds) {
  uint32_t x = 1;
  for (int64_t i = 0; i < rounds; i++) x = x * 1664525u + 1013904223u + (uint32_t)(x >> 13);
  return x;
}

static napi_value mix(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t rounds = 0;
  napi_value result = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int64(env, argv[0], &rounds) != napi_ok) {
    napi_throw_type_error(env, NULL, "mix(rounds): rounds must be a number");
    return NULL;
  }
  napi_create_uint32(env, addon_mix(rounds), &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn = NULL;
  if (napi_create_function(env, "mix", NAPI_AUTO_LENGTH, mix, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "mix", fn) != napi_ok) {
    return NULL;
  }
  return exports;
}
