#include "utils.hpp"

#include <chrono>

uint64_t timeSinceEpochMicrosec() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}
