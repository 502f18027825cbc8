// faasforge wrapper for AWS Lambda, C++ (custom runtime, the AWS Lambda C++ runtime library):
// calls the benchmark's
//   rapidjson::Document function(const rapidjson::Value& request);
// An API Gateway / function URL event carries the input as a JSON string "body"; a direct invoke
// passes it as the event. The answer follows SeBS: {"body": {begin, end, results_time, request_id,
// is_cold, container_id, cold_start_var, result: <function return>}}.
#include <aws/lambda-runtime/runtime.h>

#ifdef SEBS_USE_AWS_SDK
#include <aws/core/Aws.h>
#endif

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <random>
#include <string>

#include "utils.hpp"

rapidjson::Document function(const rapidjson::Value& request);

namespace {

bool cold = true;
std::string container_id;
std::string cold_start_var;

aws::lambda_runtime::invocation_response handle(const aws::lambda_runtime::invocation_request& req) {
  rapidjson::Document event;
  if (event.Parse(req.payload.c_str()).HasParseError() || !event.IsObject()) {
    return aws::lambda_runtime::invocation_response::failure("the event is not a JSON object", "InvalidEvent");
  }
  if (event.HasMember("body") && event["body"].IsString()) {
    rapidjson::Document body;
    if (body.Parse(event["body"].GetString()).HasParseError() || !body.IsObject()) {
      return aws::lambda_runtime::invocation_response::failure("the event's body is not a JSON object",
                                                               "InvalidEvent");
    }
    event = std::move(body);
  }
  uint64_t begin = timeSinceEpochMicrosec();
  rapidjson::Document output = function(event);
  uint64_t end = timeSinceEpochMicrosec();

  rapidjson::Document response;
  response.SetObject();
  auto& a = response.GetAllocator();
  rapidjson::Value record(rapidjson::kObjectType);
  record.AddMember("begin", begin / 1e6, a);
  record.AddMember("end", end / 1e6, a);
  record.AddMember("results_time", (end - begin) / 1e6, a);
  record.AddMember("request_id", rapidjson::Value(req.request_id.c_str(), a), a);
  record.AddMember("is_cold", cold, a);
  record.AddMember("container_id", rapidjson::Value(container_id.c_str(), a), a);
  record.AddMember("cold_start_var", rapidjson::Value(cold_start_var.c_str(), a), a);
  rapidjson::Value result(output, a);
  record.AddMember("result", result, a);
  response.AddMember("body", record, a);
  cold = false;

  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  response.Accept(writer);
  return aws::lambda_runtime::invocation_response::success(buffer.GetString(), "application/json");
}

}  // namespace

int main() {
#ifdef SEBS_USE_AWS_SDK
  Aws::SDKOptions options;
  Aws::InitAPI(options);
#endif
  if (const char* var = std::getenv("cold_start")) cold_start_var = var;
  std::mt19937_64 rng{std::random_device{}()};
  container_id = std::to_string(rng() % 100000000);
  aws::lambda_runtime::run_handler(handle);
#ifdef SEBS_USE_AWS_SDK
  Aws::ShutdownAPI(options);
#endif
  return 0;
}
