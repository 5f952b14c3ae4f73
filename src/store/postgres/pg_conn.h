// PgConn: one libpq connection with ncc's error mapping, for the PostgreSQL event log and its
// followers (docs/store-postgres.md).
//
// Who owns it: the object that made it; one PgConn is used by one thread at a time (callers
// guard it with their own mutex). libpq is built thread-safe on Debian, so different PgConns
// may be used from different threads at once.
//
// Errors: every failure is a Status naming what was being done and the server's message with
// its SQLSTATE. A lost connection (or a server shutting down, SQLSTATE class 08 and 57P0x) is
// kUnavailable; a full disk on the server (53100 disk_full) is kInsufficientStorage; anything
// else kInternal. Nothing here retries on its own except Reset(), when asked.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace ncc::pg {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// Parameters of one statement: text or binary values (binary for bytes and integers). Copies
// and moves are safe: the pointers libpq reads are made from the values when asked for.
class Params {
 public:
  Params& Text(const std::string& v);
  Params& Int8(int64_t v);  // binary, network order
  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const;
  const int* lengths() const;
  const int* formats() const { return formats_.data(); }

 private:
  std::vector<std::string> values_;
  std::vector<int> formats_;
  mutable std::vector<const char*> pointers_;
  mutable std::vector<int> lengths_;
};

class PgConn {
 public:
  // Connects to `url` (a libpq URI or key=value string), 5 s connect timeout unless the URL says
  // otherwise; `application_name` shows in pg_stat_activity. kUnavailable naming the host when
  // the server cannot be reached.
  static StatusOr<std::unique_ptr<PgConn>> Connect(const std::string& url,
                                                   const std::string& application_name = "ncc");
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // A simple query (may hold several statements; the last one's result is returned).
  StatusOr<Result> Exec(const std::string& sql, const std::string& what);
  // An extended-protocol statement; `binary_result` asks for the binary form of every column.
  StatusOr<Result> ExecParams(const std::string& sql, const Params& params, const std::string& what,
                              bool binary_result = false);
  // COPY ... FROM STDIN with `data` as the whole input (the caller built its binary form).
  Status CopyIn(const std::string& copy_sql, const std::string& data, const std::string& what);
  // Reconnects with the same parameters (after kUnavailable). Prepared state is lost.
  Status Reset();
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  // Inside a transaction block (open or failed)?
  bool in_transaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }
  PGconn* raw() { return conn_; }
  // host:port/dbname, for messages (never the password).
  const std::string& where() const { return where_; }
  // "status" of an error after `what`, as described above.
  Status Error(const PGresult* result, const std::string& what) const;

 private:
  explicit PgConn(PGconn* conn);
  PGconn* conn_;
  std::string where_;
};

// Binary column readers (the formats of PostgreSQL's send functions, network order).
int64_t ReadInt8(const PGresult* r, int row, int col);
int32_t ReadInt4(const PGresult* r, int row, int col);
int16_t ReadInt2(const PGresult* r, int row, int col);
std::string ReadBytes(const PGresult* r, int row, int col);

// Appends big-endian integers to `out` (COPY BINARY, binary parameters).
void PutInt16(std::string& out, int16_t v);
void PutInt32(std::string& out, int32_t v);
void PutInt64(std::string& out, int64_t v);

// `s` as a SQL string literal ('...' with quotes doubled); for names already validated.
std::string Literal(const std::string& s);

}  // namespace ncc::pg
