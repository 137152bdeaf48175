#pragma once

#include <cstddef>

#include "ember/bpf/sample.h"

namespace ember {

// Unpacks a sample from its ring-buffer form (see ember/bpf/sample.h) into
// `out`. False when the record is malformed (counts beyond their arrays, or
// a size that does not match them); `out` is then unspecified.
bool unpack_sample(const void* data, std::size_t size, ember_sample& out);

}  // namespace ember
