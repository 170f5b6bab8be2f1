import GRDBSQLite

/// The floor: the same SQL through the bare SQLite C API, reading every column of every row and nothing more.
/// Statements are prepared once and reused, as our store reuses its own.
final class FloorDatabase {
    let path: String
    private var handle: OpaquePointer?
    private var prepared: [String: OpaquePointer] = [:]

    /// Opens the database the way the cheapest client would: no pragmas, no checks.
    init(path: String) throws {
        self.path = path
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw BenchmarkError("cannot open \(path) for the floor: \(message)")
        }
    }

    deinit {
        prepared.values.forEach { sqlite3_finalize($0) }
        sqlite3_close(handle)
    }

    /// Runs the read-only statements among `statements` to completion.
    /// Writes are skipped: the floor must not change what the next measurement reads.
    func run(_ statements: [String]) throws {
        for sql in statements {
            let statement = try statement(sql)
            defer { sqlite3_reset(statement) }
            guard sqlite3_stmt_readonly(statement) != 0 else { continue }
            var checksum = 0
            while sqlite3_step(statement) == SQLITE_ROW {
                for column in 0..<sqlite3_column_count(statement) {
                    switch sqlite3_column_type(statement, column) {
                    case SQLITE_INTEGER: checksum &+= Int(sqlite3_column_int64(statement, column))
                    case SQLITE_FLOAT: checksum &+= Int(sqlite3_column_double(statement, column))
                    case SQLITE_TEXT, SQLITE_BLOB:
                        _ = sqlite3_column_blob(statement, column)
                        checksum &+= Int(sqlite3_column_bytes(statement, column))
                    default: break
                    }
                }
            }
            // Keeps the reads from being optimised away.
            if checksum == Int.min { print("") }
        }
    }

    private func statement(_ sql: String) throws -> OpaquePointer {
        if let statement = prepared[sql] { return statement }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw BenchmarkError("the floor cannot prepare \(sql.prefix(80)): \(String(cString: sqlite3_errmsg(handle)))")
        }
        prepared[sql] = statement
        return statement
    }
}

/// A one-line failure of the benchmark itself.
struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
