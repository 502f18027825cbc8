// faasforge wrapper for the local platform, C++: serves the benchmark's
//   rapidjson::Document function(const rapidjson::Value& request);
// over HTTP. POST / with a JSON object body calls it and answers
//   {"begin", "end", "compute_time", "results_time", "request_id", "is_cold", "container_id",
//    "result": {"output": <function return>}}
// GET /health answers "ok". Listens on $PORT (default 9000), one request per connection.
// POSIX sockets and RapidJSON only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <random>
#include <sstream>
#include <string>

#include "utils.hpp"

rapidjson::Document function(const rapidjson::Value& request);

namespace {

const size_t kMaxBody = 64u * 1024u * 1024u;
bool cold = true;
std::string container_id;

std::string random_hex(size_t n) {
  static std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "0123456789abcdef";
  std::string out(n, '0');
  for (auto& c : out) c = digits[rng() % 16];
  return out;
}

std::string request_uuid() {
  std::string h = random_hex(32);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
         h.substr(20);
}

bool send_all(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

void reply(int fd, int status, const char* reason, const std::string& type, const std::string& body) {
  std::ostringstream head;
  head << "HTTP/1.1 " << status << " " << reason << "\r\nContent-Type: " << type
       << "\r\nContent-Length: " << body.size() << "\r\nConnection: close\r\n\r\n";
  send_all(fd, head.str() + body);
}

std::string json_text(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
}

void reply_error(int fd, int status, const char* reason, const std::string& message, const std::string& id) {
  rapidjson::Document doc;
  doc.SetObject();
  auto& a = doc.GetAllocator();
  doc.AddMember("error", rapidjson::Value(message.c_str(), a), a);
  doc.AddMember("request_id", rapidjson::Value(id.c_str(), a), a);
  reply(fd, status, reason, "application/json", json_text(doc));
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads one request: method, path and body. False when the connection broke or is malformed.
bool read_request(int fd, std::string& method, std::string& path, std::string& body, bool& too_large) {
  std::string data;
  char buf[65536];
  size_t header_end;
  while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0 || data.size() > 1024 * 1024) return false;
    data.append(buf, static_cast<size_t>(n));
  }
  std::istringstream head(data.substr(0, header_end));
  std::string line;
  std::getline(head, line);
  std::istringstream request_line(line);
  request_line >> method >> path;
  size_t length = 0;
  while (std::getline(head, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (lower(line.substr(0, colon)) == "content-length") {
      length = std::strtoull(line.c_str() + colon + 1, nullptr, 10);
    }
  }
  if (length > kMaxBody) {
    too_large = true;
    return true;
  }
  body = data.substr(header_end + 4);
  while (body.size() < length) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    body.append(buf, static_cast<size_t>(n));
  }
  body.resize(length);
  return true;
}

void serve(int fd) {
  std::string method, path, body;
  bool too_large = false;
  std::string id = request_uuid();
  if (!read_request(fd, method, path, body, too_large)) return;
  auto query = path.find('?');
  if (query != std::string::npos) path.resize(query);
  if (path == "/health") {
    reply(fd, 200, "OK", "text/plain", "ok");
    return;
  }
  if (path != "/") {
    reply_error(fd, 404, "Not Found", "no such path; POST / or GET /health", id);
    return;
  }
  if (method != "POST") {
    reply_error(fd, 405, "Method Not Allowed", "use POST / with a JSON object body", id);
    return;
  }
  if (too_large) {
    reply_error(fd, 413, "Payload Too Large", "request body too large", id);
    return;
  }
  rapidjson::Document event;
  bool blank = body.find_first_not_of(" \t\r\n") == std::string::npos;
  if (blank) {
    event.SetObject();
  } else if (event.Parse(body.c_str()).HasParseError() || !event.IsObject()) {
    reply_error(fd, 400, "Bad Request", "the body is not a JSON object", id);
    return;
  }
  bool is_cold = cold;
  cold = false;
  auto& ea = event.GetAllocator();
  if (!event.HasMember("request-id")) event.AddMember("request-id", rapidjson::Value(id.c_str(), ea), ea);

  rapidjson::Document output;
  uint64_t begin = timeSinceEpochMicrosec();
  try {
    output = function(event);
  } catch (const std::exception& e) {
    reply_error(fd, 500, "Internal Server Error", std::string("the function failed: ") + e.what(), id);
    return;
  }
  uint64_t end = timeSinceEpochMicrosec();

  rapidjson::Document record;
  record.SetObject();
  auto& a = record.GetAllocator();
  record.AddMember("begin", begin / 1e6, a);
  record.AddMember("end", end / 1e6, a);
  record.AddMember("compute_time", static_cast<double>(end - begin), a);
  record.AddMember("results_time", 0, a);
  record.AddMember("request_id", rapidjson::Value(id.c_str(), a), a);
  record.AddMember("is_cold", is_cold, a);
  record.AddMember("container_id", rapidjson::Value(container_id.c_str(), a), a);
  rapidjson::Value result(rapidjson::kObjectType);
  rapidjson::Value copied(output, a);
  result.AddMember("output", copied, a);
  record.AddMember("result", result, a);
  reply(fd, 200, "OK", "application/json", json_text(record));
}

}  // namespace

int main() {
  std::signal(SIGPIPE, SIG_IGN);
  container_id = random_hex(8);
  const char* port_env = std::getenv("PORT");
  int port = port_env ? std::atoi(port_env) : 9000;
  int server = ::socket(AF_INET6, SOCK_STREAM, 0);
  bool v6 = server >= 0;
  if (!v6) server = ::socket(AF_INET, SOCK_STREAM, 0);
  int yes = 1, no = 0;
  ::setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  int bound;
  if (v6) {
    ::setsockopt(server, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no);
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_any;
    addr.sin6_port = htons(static_cast<uint16_t>(port));
    bound = ::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bound = ::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  if (bound != 0 || ::listen(server, 64) != 0) {
    std::perror("faasforge local cpp: cannot listen");
    return 1;
  }
  std::printf("faasforge local cpp: listening on :%d\n", port);
  std::fflush(stdout);
  std::signal(SIGTERM, [](int) { std::_Exit(0); });
  for (;;) {
    int client = ::accept(server, nullptr, nullptr);
    if (client < 0) continue;
    serve(client);
    ::close(client);
  }
}
