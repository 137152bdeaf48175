// Java names of HotSpot methods, read from a Method*: its ConstMethod holds
// the name's index in the class' constant pool, whose holder is the class.
// Class names come as HotSpot keeps them ("java/util/HashMap$Node") and are
// shown as Java writes them, "java.util.HashMap$Node"; a hidden class'
// address suffix ("Main$$Lambda$14+0x0000000800c0b000") is dropped, so one
// lambda reads the same across runs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hotspot_layout.hpp"
#include "line_numbers.hpp"
#include "remote_memory.hpp"

namespace ember::jvm {

struct MethodName {
  std::string class_name;   // "java.util.HashMap$Node"
  std::string method_name;  // "hashCode", "<init>"
  std::string source_file;  // "HashMap.java"; empty when the class has none
  std::string qualified() const { return class_name + "." + method_name; }
};

// "java/util/HashMap$Node" -> "java.util.HashMap$Node", hidden class suffix dropped.
std::string java_class_name(std::string_view internal);

// The words a method's name is read through: its ConstMethod*, the
// ConstantPool* that holds its name, the pool's holder Klass* and the
// class' name Symbol*. A class unloaded and another of the same shape
// defined where it was keeps the first three (the same metadata
// addresses) but not the last, unless it has the same name.
struct MethodIdentity {
  std::uint64_t const_method = 0;
  std::uint64_t pool = 0;
  std::uint64_t holder = 0;
  std::uint64_t class_symbol = 0;
  bool operator==(const MethodIdentity&) const = default;
};

// False when a word is unreadable or null (freed, or not a Method*).
bool read_method_identity(RemoteMemory& memory, const HotSpotLayout& layout, std::uint64_t method,
                          MethodIdentity& out);

// False when the method cannot be read (freed, or not a Method*).
bool read_method_name(RemoteMemory& memory, const HotSpotLayout& layout, std::uint64_t method,
                      MethodName& out);
// The name through `identity` (read by read_method_identity).
bool read_method_name(RemoteMemory& memory, const HotSpotLayout& layout,
                      const MethodIdentity& identity, MethodName& out);

// The bytecodes of a ConstMethod: [start, start + size).
struct Bytecodes {
  std::uint64_t start = 0;
  std::uint32_t size = 0;
  bool contains(std::uint64_t bcp) const { return bcp >= start && bcp - start < size; }
};
bool read_bytecodes(RemoteMemory& memory, const HotSpotLayout& layout, std::uint64_t const_method,
                    Bytecodes& out);

// The ConstMethod's line number table; empty when it has none or it cannot
// be read.
std::vector<LineEntry> read_line_table(RemoteMemory& memory, const HotSpotLayout& layout,
                                       std::uint64_t const_method);

}  // namespace ember::jvm
