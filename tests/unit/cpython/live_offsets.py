# Checks generated CPython offsets against the running interpreter: reads the
# interpreter's own structs through ctypes at the given offsets and compares
# with what Python reports. Runs on 2.7 and 3.6+ alike.
#
#   python live_offsets.py name=value ...   (values in bytes; absent = none)
#
# Prints "ok NAME" or "FAIL NAME: detail" per check, then "checks N".
import ctypes
import sys

try:
    import threading
    get_ident = threading.get_ident
except AttributeError:  # 2.7
    import thread
    get_ident = thread.get_ident

off = {}
for arg in sys.argv[1:]:
    name, value = arg.split("=")
    off[name] = int(value)

checks = [0]
failed = [0]


def check(name, got, want):
    checks[0] += 1
    if got == want:
        print("ok %s" % name)
    else:
        failed[0] += 1
        print("FAIL %s: read %r, expected %r" % (name, got, want))


def ptr(address):
    return ctypes.c_void_p.from_address(address).value or 0


def i32(address):
    return ctypes.c_int.from_address(address).value


def u8(address):
    return ctypes.c_ubyte.from_address(address).value


api = ctypes.pythonapi
api.PyThreadState_Get.restype = ctypes.c_void_p
api.PyInterpreterState_Head.restype = ctypes.c_void_p


def sample(a, b):
    return a + b


code = sample.__code__ if hasattr(sample, "__code__") else sample.func_code
frame = sys._getframe()

# Code objects.
check("code_name", ptr(id(code) + off["code_name"]), id(code.co_name))
check("code_filename", ptr(id(code) + off["code_filename"]), id(code.co_filename))
check("code_firstlineno", i32(id(code) + off["code_firstlineno"]), code.co_firstlineno)
if "code_qualname" in off:
    check("code_qualname", ptr(id(code) + off["code_qualname"]), id(code.co_qualname))
if sys.version_info < (3, 10):
    check("code_linetable", ptr(id(code) + off["code_linetable"]), id(code.co_lnotab))
else:
    check("code_linetable", ptr(id(code) + off["code_linetable"]), id(code.co_linetable))
if "code_code" in off:
    check("code_code", ptr(id(code) + off["code_code"]), id(code.co_code))
    check("code_size", type(code).__basicsize__, off["code_size"])
if "code_code_adaptive" in off:
    # The type's basic size ends where the inline bytecode starts.
    check("code_code_adaptive", type(code).__basicsize__, off["code_code_adaptive"])
    check("code_code_adaptive.bytes",
          ctypes.string_at(id(code) + off["code_code_adaptive"], 2)[:1] != b"", True)

# Objects, bytes, strings.
check("object_type", ptr(id(code) + off["object_type"]), id(type(code)))
check("var_size", ctypes.c_ssize_t.from_address(id((1, 2, 3)) + off["var_size"]).value, 3)
data = b"ember-bytes"
check("bytes_sval", ctypes.string_at(id(data) + off["bytes_sval"], len(data)), data)
if "unicode_ascii_size" in off:
    text = u"ember_ascii_name"
    check("unicode_ascii_size",
          ctypes.string_at(id(text) + off["unicode_ascii_size"], len(text)), b"ember_ascii_name")
    check("unicode_length",
          ctypes.c_ssize_t.from_address(id(text) + off["unicode_length"]).value, len(text))
    state = ctypes.c_uint.from_address(id(text) + off["unicode_state"]).value
    check("unicode_kind_shift", (state >> off["unicode_kind_shift"]) & 7, 1)
    check("unicode_compact_bit", (state >> off["unicode_compact_bit"]) & 1, 1)
    check("unicode_ascii_bit", (state >> off["unicode_ascii_bit"]) & 1, 1)
    latin = u"caf\xe9 na\xefve"
    lstate = ctypes.c_uint.from_address(id(latin) + off["unicode_state"]).value
    check("unicode_ascii_bit.latin1", (lstate >> off["unicode_ascii_bit"]) & 1, 0)
    check("unicode_compact_size",
          ctypes.string_at(id(latin) + off["unicode_compact_size"], len(latin)),
          latin.encode("latin-1"))

# Thread and interpreter state (this process has one thread, one interpreter).
tstate = api.PyThreadState_Get()
interp = api.PyInterpreterState_Head()
check("tstate_interp", ptr(tstate + off["tstate_interp"]), interp)
check("tstate_next", ptr(tstate + off["tstate_next"]), 0)
check("tstate_thread_id", ctypes.c_ulong.from_address(tstate + off["tstate_thread_id"]).value,
      get_ident())
if "tstate_native_thread_id" in off:
    check("tstate_native_thread_id",
          ctypes.c_ulong.from_address(tstate + off["tstate_native_thread_id"]).value,
          threading.get_native_id())
check("interp_threads_head", ptr(interp + off["interp_threads_head"]), tstate)
check("interp_next", ptr(interp + off["interp_next"]), 0)
if "runtime_interpreters_head" in off:
    runtime = ctypes.addressof(ctypes.c_char.in_dll(api, "_PyRuntime"))
    check("runtime_interpreters_head", ptr(runtime + off["runtime_interpreters_head"]), interp)
    if "runtime_tstate_current" in off:
        check("runtime_tstate_current", ptr(runtime + off["runtime_tstate_current"]), tstate)
else:
    current = ctypes.addressof(ctypes.c_char.in_dll(api, "_PyThreadState_Current"))
    check("_PyThreadState_Current", ptr(current), tstate)

# The frame chain. Each read happens in top_frame's own frame: ctypes reads
# run no Python code, so the thread's current frame is top_frame's.
def top_frame():
    me = sys._getframe()
    tstate_now = api.PyThreadState_Get()
    if "tstate_frame" in off:
        top = ctypes.c_void_p.from_address(tstate_now + off["tstate_frame"]).value
    elif "tstate_cframe" in off:
        cframe = ctypes.c_void_p.from_address(tstate_now + off["tstate_cframe"]).value
        top = ctypes.c_void_p.from_address(cframe + off["cframe_current_frame"]).value
    else:
        top = ctypes.c_void_p.from_address(tstate_now + off["tstate_current_frame"]).value
    back = ctypes.c_void_p.from_address(top + off["frame_previous"]).value
    if "tstate_frame" in off:
        instr = ctypes.c_int.from_address(back + off["frame_instr"]).value
    else:
        instr = ctypes.c_void_p.from_address(back + off["frame_instr"]).value
    top_code = ctypes.c_void_p.from_address(top + off["frame_code"]).value
    top_owner = ctypes.c_ubyte.from_address(top + off["frame_owner"]).value \
        if "frame_owner" in off else None
    top_entry = ctypes.c_ubyte.from_address(top + off["frame_is_entry"]).value \
        if "frame_is_entry" in off else None
    return me, top, back, instr, me.f_back.f_lasti, top_code, top_owner, top_entry


# 3.11+ interpreter frames live on a stack that the next call reuses: what
# top_frame saw of its own frame is read before it returns.
me, top, back, instr, caller_lasti, top_code, top_owner, top_entry = top_frame()
check("frame_code", top_code, id(me.f_code))
check("frame_code.caller", ptr(back + off["frame_code"]), id(frame.f_code))
if "tstate_frame" in off:
    check("tstate_frame", top, id(me))
    check("frame_previous", back, id(frame))
    want = caller_lasti if sys.version_info < (3, 10) else caller_lasti // 2
    check("frame_instr", instr, want)
else:
    # The caller's instruction pointer lies inside its code object's inline bytecode.
    start = id(frame.f_code) + off["code_code_adaptive"]
    check("frame_instr", start - 2 <= instr < start + len(frame.f_code.co_code), True)
    check("frame_owner", top_owner, 0)
    if "frame_is_entry" in off:
        check("frame_is_entry", top_entry, 0)
        check("frame_is_entry.caller", u8(back + off["frame_is_entry"]), 1)
    else:
        # 3.12+: the module's frame was entered from C, over a CSTACK shim frame.
        shim = ptr(back + off["frame_previous"])
        check("frame_owner.cstack", u8(shim + off["frame_owner"]) if shim else -1,
              off["frame_owned_by_cstack"])

print("checks %d" % checks[0])
sys.exit(1 if failed[0] else 0)
