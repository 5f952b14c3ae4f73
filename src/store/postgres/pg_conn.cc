#include "store/postgres/pg_conn.h"

#include <endian.h>

#include <cstring>

namespace ncc::pg {
namespace {

std::string Trimmed(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// SQLSTATE classes that mean the server went away or is going: the connection is of no use.
bool ServerGone(const std::string& state) {
  return state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03";
}

}  // namespace

Params& Params::Text(const std::string& v) {
  values_.push_back(v);
  formats_.push_back(0);
  return *this;
}

Params& Params::Int8(int64_t v) {
  std::string b;
  PutInt64(b, v);
  values_.push_back(std::move(b));
  formats_.push_back(1);
  return *this;
}

const char* const* Params::values() const {
  pointers_.clear();
  for (const std::string& v : values_) pointers_.push_back(v.data());
  return pointers_.data();
}

const int* Params::lengths() const {
  lengths_.clear();
  for (const std::string& v : values_) lengths_.push_back(static_cast<int>(v.size()));
  return lengths_.data();
}

StatusOr<std::unique_ptr<PgConn>> PgConn::Connect(const std::string& url,
                                                  const std::string& application_name) {
  // Defaults first: the URL's own settings (later keywords) win over them.
  // NOTICEs (e.g. "relation already exists, skipping" of CREATE ... IF NOT EXISTS) say nothing.
  const char* keys[] = {"connect_timeout", "options", "application_name", "dbname", nullptr};
  const char* values[] = {"5", "-c client_min_messages=warning", application_name.c_str(),
                          url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!conn) return Unavailable("PostgreSQL: out of memory connecting");
  std::unique_ptr<PgConn> out(new PgConn(conn));
  if (PQstatus(conn) != CONNECTION_OK)
    return Unavailable("cannot connect to PostgreSQL at " + out->where() + ": " +
                       Trimmed(PQerrorMessage(conn)));
  return out;
}

PgConn::PgConn(PGconn* conn) : conn_(conn) {
  const char* host = PQhost(conn);
  const char* port = PQport(conn);
  const char* db = PQdb(conn);
  where_ = std::string(host ? host : "?") + ":" + (port ? port : "?") + "/" + (db ? db : "?");
}

PgConn::~PgConn() {
  PQfinish(conn_);
}

Status PgConn::Error(const PGresult* result, const std::string& what) const {
  std::string state;
  if (result)
    if (const char* s = PQresultErrorField(result, PG_DIAG_SQLSTATE)) state = s;
  std::string message = Trimmed(result ? PQresultErrorMessage(result) : nullptr);
  if (message.empty()) message = Trimmed(PQerrorMessage(conn_));
  std::string text = what + " (PostgreSQL at " + where_ + "): " + message;
  if (!state.empty()) text += " (SQLSTATE " + state + ")";
  if (state == "53100") return InsufficientStorage(text);
  if (PQstatus(conn_) == CONNECTION_BAD || ServerGone(state))
    return Unavailable(text + "; the connection to the server is lost");
  return Internal(text);
}

StatusOr<Result> PgConn::Exec(const std::string& sql, const std::string& what) {
  Result r(PQexec(conn_, sql.c_str()));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Error(r.get(), what);
  return r;
}

StatusOr<Result> PgConn::ExecParams(const std::string& sql, const Params& params,
                                    const std::string& what, bool binary_result) {
  Result r(PQexecParams(conn_, sql.c_str(), params.size(), nullptr, params.values(),
                        params.lengths(), params.formats(), binary_result ? 1 : 0));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Error(r.get(), what);
  return r;
}

Status PgConn::CopyIn(const std::string& copy_sql, const std::string& data,
                      const std::string& what) {
  Result start(PQexec(conn_, copy_sql.c_str()));
  if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) return Error(start.get(), what);
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1 ||
      PQputCopyEnd(conn_, nullptr) != 1)
    return Error(nullptr, what);
  // The COPY's own result, then the end of the results (a null).
  Status status;
  while (Result r{PQgetResult(conn_)}) {
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && status.ok()) status = Error(r.get(), what);
  }
  return status;
}

Status PgConn::Reset() {
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK)
    return Unavailable("cannot reconnect to PostgreSQL at " + where_ + ": " +
                       Trimmed(PQerrorMessage(conn_)));
  return Status::Ok();
}

int64_t ReadInt8(const PGresult* r, int row, int col) {
  uint64_t v = 0;
  if (PQgetlength(r, row, col) == 8) std::memcpy(&v, PQgetvalue(r, row, col), 8);
  return static_cast<int64_t>(be64toh(v));
}

int32_t ReadInt4(const PGresult* r, int row, int col) {
  uint32_t v = 0;
  if (PQgetlength(r, row, col) == 4) std::memcpy(&v, PQgetvalue(r, row, col), 4);
  return static_cast<int32_t>(be32toh(v));
}

int16_t ReadInt2(const PGresult* r, int row, int col) {
  uint16_t v = 0;
  if (PQgetlength(r, row, col) == 2) std::memcpy(&v, PQgetvalue(r, row, col), 2);
  return static_cast<int16_t>(be16toh(v));
}

std::string ReadBytes(const PGresult* r, int row, int col) {
  return std::string(PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col)));
}

void PutInt16(std::string& out, int16_t v) {
  uint16_t b = htobe16(static_cast<uint16_t>(v));
  out.append(reinterpret_cast<const char*>(&b), 2);
}

void PutInt32(std::string& out, int32_t v) {
  uint32_t b = htobe32(static_cast<uint32_t>(v));
  out.append(reinterpret_cast<const char*>(&b), 4);
}

void PutInt64(std::string& out, int64_t v) {
  uint64_t b = htobe64(static_cast<uint64_t>(v));
  out.append(reinterpret_cast<const char*>(&b), 8);
}

std::string Literal(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace ncc::pg
