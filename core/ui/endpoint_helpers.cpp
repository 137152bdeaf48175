#include <cstdio>

#include "endpoints.hpp"
#include "focus.hpp"
#include "report.hpp"
#include "report_filter.hpp"
#include "runtime_view.hpp"

namespace ember::ui {
namespace {

// What a read of `range` covers: its stored windows (first start, last end,
// how many, their starts summed), empty when none.
std::string read_key(const std::vector<store::WindowSpan>& spans) {
  if (spans.empty()) return "";
  std::uint64_t starts = 0;
  for (const store::WindowSpan& s : spans) starts += static_cast<std::uint64_t>(s.start_ns);
  char key[120];
  std::snprintf(key, sizeof key, "read %lld %lld %zu %llu",
                static_cast<long long>(spans.front().start_ns),
                static_cast<long long>(spans.back().end_ns), spans.size(),
                static_cast<unsigned long long>(starts));
  return key;
}

// The filter as a key: each list's values, separated by bytes no value holds.
std::string filter_key(const report::ReportFilter& f) {
  std::string key;
  auto add = [&key](char name, const auto& values) {
    key += name;
    for (const auto& v : values) {
      if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>) {
        key += v;
      } else {
        key += std::to_string(v);
      }
      key += '\x1f';
    }
    key += '\x1e';
  };
  add('p', f.pids);
  add('n', f.processes);
  add('s', f.services);
  add('c', f.containers);
  add('o', f.pods);
  add('k', f.kinds);
  add('l', f.labels);
  add('m', f.cmdlines);
  add('t', f.threads);
  return key;
}

}  // namespace

std::optional<ApiResponse> rejected(ApiQuery& query) {
  Status checked = query.finish();
  if (checked) return std::nullopt;
  return error_response(400, checked.message());
}

namespace {

// The range's stored windows as a read's key (read_key), or an error.
Status covered_by(const ApiRequest& request, const report::TimeRange& range, std::string& covered) {
  std::vector<store::WindowSpan> spans;
  Status listed = request.store.windows(range.from_ns, range.to_ns, spans);
  if (listed) covered = read_key(spans);
  return listed;
}

// The read of `range` with `detail`, from the store.
Status read_store(const ApiRequest& request, const report::TimeRange& range, ReadDetail detail,
                  Window& window) {
  const store::StoreReader& store = request.store;
  const std::int64_t from = range.from_ns, to = range.to_ns;
  ++request.cache.store_reads;
  return detail == ReadDetail::metrics     ? store.read_metrics(from, to, window)
         : detail == ReadDetail::counts    ? store.read_process_counts(from, to, window)
         : detail == ReadDetail::processes ? store.read_per_process(from, to, window)
         : detail == ReadDetail::samples   ? store.read_process_samples(from, to, window)
         : detail == ReadDetail::names     ? store.read_process_names(from, to, window)
         : detail == ReadDetail::stacks    ? store.read_per_stack(from, to, window)
                                           : store.read(from, to, window);
}

// The key a read of `covered` with `detail` is kept under.
std::string kept_key(const std::string& covered, ReadDetail detail) {
  return detail == ReadDetail::metrics     ? "metrics " + covered
         : detail == ReadDetail::counts    ? "counts " + covered
         : detail == ReadDetail::stacks    ? "stacks " + covered
         : detail == ReadDetail::processes ? "processes " + covered
         : detail == ReadDetail::samples   ? "process samples " + covered
         : detail == ReadDetail::names     ? "process names " + covered
                                           : covered;
}

// A kept read of `covered` that serves `detail`: its own, or one with more
// detail, which holds what one with less would.
const SharedWindow* kept_read(const ApiRequest& request, const std::string& covered,
                              ReadDetail detail) {
  std::vector<ReadDetail> serving;
  if (detail != ReadDetail::threads) serving.push_back(ReadDetail::threads);
  if (detail == ReadDetail::metrics || detail == ReadDetail::counts ||
      detail == ReadDetail::stacks || detail == ReadDetail::samples ||
      detail == ReadDetail::names) {
    serving.push_back(ReadDetail::processes);
  }
  // Without metrics: what serves everything but a chart.
  if (detail == ReadDetail::counts || detail == ReadDetail::stacks || detail == ReadDetail::names) {
    serving.push_back(ReadDetail::samples);
  }
  serving.push_back(detail);
  for (ReadDetail more : serving) {
    if (const SharedWindow* kept = request.cache.windows.find(kept_key(covered, more))) {
      return kept;
    }
  }
  return nullptr;
}

// The key read_range gives a read of `covered` with `detail`.
std::string read_key_of(const std::string& covered, ReadDetail detail) {
  return covered + (detail == ReadDetail::threads   ? ""
                    : detail == ReadDetail::counts  ? " counts"
                    : detail == ReadDetail::stacks  ? " per stack"
                    : detail == ReadDetail::samples ? " process samples"
                    : detail == ReadDetail::names   ? " process names"
                                                    : " per process");
}

// A selection made of a read nobody keeps, and only the selection kept:
// with `names`, everything folded by name (a flame graph's), the runtime view
// made of the read in place; otherwise the processes a filter of processes
// keeps, read alone. A churning host's half hour is ~360,000 processes and
// ~400,000 stacks: neither is held twice, nor every process for a few. False
// when it leaves the selection to read_selection's general way: a read of
// the range is kept already, or nothing matches (that error lists the
// range's processes).
bool select_from_own_read(const ApiRequest& request, const Selection& selection, ReadDetail detail,
                          SharedWindow& out, std::string* key, std::uint64_t* view_changed,
                          std::optional<ApiResponse>& answer) {
  const report::TimeRange& range = selection.range;
  const report::ReportFilter& filter = selection.filter;
  const bool native = selection.native;
  std::string covered;
  if (Status listed = covered_by(request, range, covered); !listed) {
    answer = error_response(500, listed.message());
    return true;
  }
  if (covered.empty() || kept_read(request, covered, detail)) return false;
  const std::string selected_key =
      read_key_of(covered, detail) + '|' + filter_key(filter) + (native ? "|native" : "|runtime");
  const SharedWindow* kept_view = request.cache.windows.find(selected_key);
  const std::uint64_t* kept_count = request.cache.view_changed.find(selected_key);
  if (kept_view && (native || kept_count)) {
    if (key) *key = selected_key;
    out = *kept_view;
    if (view_changed) *view_changed = native ? 0 : *kept_count;
    return true;
  }
  Window selected;
  {
    Window read;
    ++request.cache.store_reads;
    const store::StoreReader& store = request.store;
    Status status = detail == ReadDetail::names
                        ? store.read_process_names(range.from_ns, range.to_ns, read)
                        : store.read_process_samples_of(
                              range.from_ns, range.to_ns,
                              [&filter](const ProcessInfo* p, std::uint32_t pid) {
                                return report::process_matches(filter, p, pid);
                              },
                              read);
    if (!status) {
      answer = error_response(500, status.message());
      return true;
    }
    if (filter.empty()) {
      if (status = report::check_samples_read(read, request.summary, range); !status) {
        answer = error_response(404, status.message());
        return true;
      }
      selected = std::move(read);
    } else if (!report::select_samples(read, range, filter, "from", selected)) {
      return false;
    }
  }
  if (key) *key = selected_key;
  std::uint64_t changed = 0;
  if (native) {
    out = std::make_shared<const Window>(std::move(selected));
  } else {
    report::RuntimeView view = report::runtime_view(std::move(selected));
    changed = view.changed_samples;
    request.cache.view_changed.put(selected_key, changed);
    out = std::make_shared<const Window>(std::move(view.window));
  }
  request.cache.windows.put(selected_key, out);
  if (view_changed) *view_changed = changed;
  return true;
}

}  // namespace

Status read_range(const ApiRequest& request, const report::TimeRange& range, SharedWindow& out,
                  std::string* key, ReadDetail detail) {
  std::string covered;
  if (Status listed = covered_by(request, range, covered); !listed) return listed;
  if (key) *key = read_key_of(covered, detail);
  auto read = [&](SharedWindow& made) {
    auto window = std::make_shared<Window>();
    Status status = read_store(request, range, detail, *window);
    made = std::move(window);
    return status;
  };
  if (covered.empty()) return read(out);  // nothing stored there: nothing to keep
  if (const SharedWindow* kept = kept_read(request, covered, detail)) {
    out = *kept;
    return Status::ok();
  }
  return request.cache.windows.get(kept_key(covered, detail), read, out);
}

Selection selection_of(ApiRequest& request, bool with_view) {
  Selection selection;
  selection.range = request.range();
  selection.filter = request.query.filter();
  if (with_view) selection.native = request.query.native_view();
  return selection;
}

std::optional<ApiResponse> read_selection(const ApiRequest& request, const Selection& selection,
                                          SharedWindow& out, std::string* key,
                                          std::uint64_t* view_changed) {
  const report::TimeRange& range = selection.range;
  const report::ReportFilter& filter = selection.filter;
  bool native = selection.native;
  Status status = report::check_selection(request.summary, filter);
  if (!status) return error_response(404, status.message());
  SharedWindow read;
  std::string covered;
  // Counts alone serve only what neither a filter nor the runtime view reads
  // frames for; stacks alone what no filter reads processes for (the runtime
  // view needs stacks only).
  ReadDetail detail = selection.threads || !filter.threads.empty()   ? ReadDetail::threads
                      : selection.counts && filter.empty() && native ? ReadDetail::counts
                      : selection.names && filter.empty()            ? ReadDetail::names
                      : selection.stacks && filter.empty() && request.store.sums_per_stack()
                          ? ReadDetail::stacks
                      : selection.metrics ? ReadDetail::processes
                                          : ReadDetail::samples;
  const bool filters_processes = !filter.pids.empty() || !filter.processes.empty() ||
                                 !filter.containers.empty() || !filter.services.empty() ||
                                 !filter.pods.empty() || !filter.cmdlines.empty();
  if ((detail == ReadDetail::names && !native) ||
      (detail == ReadDetail::samples && filters_processes)) {
    std::optional<ApiResponse> answer;
    if (select_from_own_read(request, selection, detail, out, key, view_changed, answer)) {
      return answer;
    }
  }
  status = read_range(request, range, read, &covered, detail);
  if (!status) return error_response(500, status.message());
  status = report::check_samples_read(*read, request.summary, range);
  if (!status) return error_response(404, status.message());
  std::string selected_key = covered + '|' + filter_key(filter) + (native ? "|native" : "|runtime");
  if (key) *key = selected_key;
  if (view_changed) *view_changed = 0;
  if (filter.empty() && (native || !report::runtime_view_changes(*read))) {
    out = std::move(read);  // the read as it is: not copied
    return std::nullopt;
  }
  auto select = [&](Window& selected) {
    return report::select_samples(*read, range, filter, "from", selected);
  };
  status = request.cache.windows.get(
      selected_key,
      [&](SharedWindow& made) {
        report::RuntimeView view;
        if (filter.empty()) {
          // The runtime view of the read itself (a native one was served
          // above): a copy of the read first held every stack twice.
          view = report::runtime_view_of(*read);
        } else {
          Window selected;
          if (Status kept = select(selected); !kept) return kept;
          if (native) {
            made = std::make_shared<const Window>(std::move(selected));
            return Status::ok();
          }
          view = report::runtime_view(std::move(selected));
        }
        request.cache.view_changed.put(selected_key, view.changed_samples);
        made = std::make_shared<const Window>(std::move(view.window));
        return Status::ok();
      },
      out);
  if (!status) return error_response(404, status.message());
  if (view_changed && !native) {
    if (const std::uint64_t* kept = request.cache.view_changed.find(selected_key)) {
      *view_changed = *kept;
    } else {  // the view was kept longer than its count: count it again
      Window selected;
      if (filter.empty()) {
        *view_changed = report::runtime_view_changed_samples(*read);
      } else if (select(selected)) {
        *view_changed = report::runtime_view_changed_samples(selected);
      }
      request.cache.view_changed.put(selected_key, *view_changed);
    }
  }
  return std::nullopt;
}

std::optional<ApiResponse> focus_on(const std::string& focus, SharedWindow& window) {
  if (focus.empty()) return std::nullopt;
  window = std::make_shared<const Window>(report::focus_window(*window, focus));
  if (window->total_samples() != 0) return std::nullopt;
  return error_response(404, "no samples of the selection run '" + focus + "'");
}

FlameLimits flame_limits(ApiQuery& query) {
  FlameLimits limits;
  limits.max_nodes = static_cast<std::size_t>(query.number("max_nodes", 1, 1'000'000, 200'000));
  limits.resolution =
      static_cast<std::uint64_t>(query.number("resolution", 0, 1'000'000'000, 10'000));
  return limits;
}

void write_span(JsonWriter& json, std::string_view key, const Window& window,
                std::optional<std::uint64_t> view_changed) {
  json.key(key).begin_object();
  json.field("from", seconds_of(window.start_ns)).field("to", seconds_of(window.end_ns));
  json.field("samples", window.total_samples()).field("frequency_hz", window.frequency_hz);
  if (view_changed) json.field("view_changed", *view_changed);
  json.end_object();
}

ApiResponse json_response(JsonWriter& json) {
  return ApiResponse{200, "application/json", json.take(), ""};
}

}  // namespace ember::ui
