// faasforge wrapper helpers for C++ benchmarks (SeBS's utils.hpp interface).
#ifndef FAASFORGE_UTILS_HPP
#define FAASFORGE_UTILS_HPP

#include <cstdint>

// Microseconds since the Unix epoch (wall clock).
uint64_t timeSinceEpochMicrosec();

#endif
