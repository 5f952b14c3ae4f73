# ncc-bench-routing: import, contraction and query figures (docs/benchmarks-routing.md).
add_executable(ncc-bench-routing routing_bench.cc)
ncc_target(ncc-bench-routing)
target_link_libraries(ncc-bench-routing PRIVATE ncc_routing)
