// 010.sleep, C++: sleep for request["sleep"] seconds (default 0) and report it.
#include <rapidjson/document.h>

#include <chrono>
#include <stdexcept>
#include <thread>

rapidjson::Document function(const rapidjson::Value& request) {
  double seconds = 0;
  if (request.HasMember("sleep") && !request["sleep"].IsNull()) {
    if (!request["sleep"].IsNumber()) throw std::invalid_argument("'sleep' must be a number of seconds");
    seconds = request["sleep"].GetDouble();
  }
  if (seconds < 0) throw std::invalid_argument("'sleep' must not be negative");
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));

  rapidjson::Document result;
  result.SetObject();
  result.AddMember("result", seconds, result.GetAllocator());
  return result;
}
