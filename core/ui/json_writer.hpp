// A small streaming JSON writer for the UI's API: commas and escaping are
// its job, so the handlers only say what goes where. No JSON library is a
// dependency (json_string.hpp escapes, as the profile writers do).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ember::ui {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // The key of the next value in an object.
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(bool flag);
  JsonWriter& value(std::int64_t number);
  JsonWriter& value(std::uint64_t number);
  JsonWriter& value(std::uint32_t number) { return value(std::uint64_t{number}); }
  JsonWriter& value(int number) { return value(std::int64_t{number}); }
  // Shortest form that reads back as the same double; NaN and infinities as null.
  JsonWriter& value(double number);
  JsonWriter& null();
  // A value already written as JSON (another writer's text).
  JsonWriter& raw(std::string_view json);

  // key(name).value(v)
  template <typename T>
  JsonWriter& field(std::string_view name, const T& v) {
    return key(name).value(v);
  }

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void separate();

  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

// Wall-clock nanoseconds as JSON seconds (JavaScript numbers hold
// nanoseconds since 1970 only to 256 ns; milliseconds are plenty for a UI).
double seconds_of(std::int64_t ns);

}  // namespace ember::ui
