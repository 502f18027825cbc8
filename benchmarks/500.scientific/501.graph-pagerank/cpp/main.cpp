// 501.graph-pagerank, C++ (igraph): PageRank of a Barabasi-Albert graph of request["size"] vertices.
//
// Event: "size" (vertices, 1..1000000), optional "seed" (default 42). Returns the highest rank, the
// vertex that holds it, the sum of all ranks (1 within rounding) and the time each step took (us).
#include <igraph.h>
#include <rapidjson/document.h>

#include <stdexcept>

#include "utils.hpp"

rapidjson::Document function(const rapidjson::Value& request) {
  if (!request.HasMember("size") || !request["size"].IsInt()) throw std::invalid_argument("'size' must be an integer");
  int size = request["size"].GetInt();
  if (size < 1 || size > 1000000) throw std::invalid_argument("'size' must be in [1, 1000000]");
  uint64_t seed = request.HasMember("seed") && request["seed"].IsUint64() ? request["seed"].GetUint64() : 42;
  igraph_rng_seed(igraph_rng_default(), seed);

  uint64_t t0 = timeSinceEpochMicrosec();
  igraph_t graph;
  // 10 edges per new vertex, linear preferential attachment, undirected
  if (igraph_barabasi_game(&graph, size, 1, 10, nullptr, true, 1, false, IGRAPH_BARABASI_PSUMTREE, nullptr) !=
      IGRAPH_SUCCESS) {
    throw std::runtime_error("igraph could not generate the graph");
  }
  uint64_t t1 = timeSinceEpochMicrosec();
  igraph_vector_t ranks;
  igraph_vector_init(&ranks, 0);
  igraph_real_t value;
  igraph_pagerank(&graph, IGRAPH_PAGERANK_ALGO_PRPACK, &ranks, &value, igraph_vss_all(), false, 0.85, nullptr,
                  nullptr);
  uint64_t t2 = timeSinceEpochMicrosec();

  igraph_integer_t best = igraph_vector_which_max(&ranks);
  double best_rank = VECTOR(ranks)[best];
  double total = igraph_vector_sum(&ranks);
  igraph_vector_destroy(&ranks);
  igraph_destroy(&graph);

  rapidjson::Document out;
  out.SetObject();
  auto& a = out.GetAllocator();
  rapidjson::Value result(rapidjson::kObjectType);
  result.AddMember("max_rank", best_rank, a);
  result.AddMember("max_vertex", static_cast<int64_t>(best), a);
  result.AddMember("rank_sum", total, a);
  result.AddMember("vertices", size, a);
  out.AddMember("result", result, a);
  rapidjson::Value measurement(rapidjson::kObjectType);
  measurement.AddMember("graph_generating_time", static_cast<uint64_t>(t1 - t0), a);
  measurement.AddMember("compute_time", static_cast<uint64_t>(t2 - t1), a);
  out.AddMember("measurement", measurement, a);
  return out;
}
