#pragma once

#include <cstdint>

namespace ember {

// The ring buffer's size in bytes: ring_buffer_kib, raised (to a power of
// two) until it holds a sixteenth of a second of samples: a leaf-stack copy
// on every CPU, and a full stack snapshot on one of them, the case of a
// process unwound by DWARF CFI. The ring cannot grow after load and every
// byte of it is in the agent's RSS: it is sized for what samples carry, not
// for the worst case held long (a quarter second of full snapshots on every
// CPU took 16 MiB at 999 Hz on 2 CPUs; 2 now). Past half full the
// sampler cuts stack copies, and past three quarters drops the leaf copies
// of frame-pointer stacks, so the rest lasts longer than its size says.
// It also holds four of the largest records, so one always fits.
std::uint32_t ring_bytes_for(std::uint32_t ring_buffer_kib, std::uint32_t frequency_hz,
                             std::uint32_t cpus, std::uint32_t stack_snapshot_bytes,
                             std::uint32_t leaf_snapshot_bytes);

// The most ring space one sample can take with these snapshot sizes: every
// frame array full, the larger stack copy, the ring's own record header.
// The sampler drops a sample when less than this is free, whatever its own
// size: a nearly full ring would otherwise keep small records and refuse
// big ones, and lose deep stacks more often than shallow ones.
std::uint32_t largest_record_bytes(std::uint32_t stack_snapshot_bytes,
                                   std::uint32_t leaf_snapshot_bytes);

}  // namespace ember
