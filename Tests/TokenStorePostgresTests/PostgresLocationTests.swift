import Testing
import TokenStore
@testable import TokenStorePostgres

/// `--db` URLs: the two shapes SPEC §10 names, libpq's defaults, and one clear line for anything else.
struct PostgresLocationTests {
    @Test func anyCaseOfTheSchemeAndOtherURLsAreNeverTakenForAFile() {
        #expect(PostgresLocation.isURL("POSTGRESQL://db/x") && PostgresLocation.isURL("postgresql:x"))
        #expect(PostgresLocation.isOtherURL("mysql://root@localhost/x") && PostgresLocation.isOtherURL("http://x/y"))
        #expect(!PostgresLocation.isOtherURL("/var/lib/apitokens/tokens.sqlite") && !PostgresLocation.isOtherURL("postgresql://db/x"))
    }

    @Test func aURLWithUserHostAndPortNamesThem() throws {
        let location = try PostgresLocation(parsing: "postgresql://ops:s3cret@db.example.com:6543/tokens", osUser: "jo")
        #expect(location.endpoint == .tcp(host: "db.example.com", port: 6543))
        #expect(location.user == "ops")
        #expect(location.password == "s3cret")
        #expect(location.database == "tokens")
        #expect(!"\(location)".contains("s3cret"))
    }

    @Test func aSocketURLUsesTheOSUserAndTheDefaultPort() throws {
        let location = try PostgresLocation(parsing: "postgresql:///tokens?host=/run/postgresql", osUser: "jo")
        #expect(location.endpoint == .socket(directory: "/run/postgresql", port: 5432))
        #expect(location.user == "jo")
        #expect(location.password == nil)
        #expect(try PostgresLocation(parsing: "postgres://ana@db/tokens", osUser: "jo").endpoint == .tcp(host: "db", port: 5432))
    }

    @Test func sslmodeIsLibpqsWithPreferTheDefaultAndARootFileMakingRequireVerify() throws {
        func encryption(_ query: String) throws -> PostgresLocation.Encryption {
            try PostgresLocation(parsing: "postgresql://db/tokens" + query, osUser: "jo").encryption
        }
        #expect(try encryption("") == .prefer)
        #expect(try encryption("?sslmode=disable") == .disable)
        #expect(try encryption("?sslmode=allow") == .prefer)
        #expect(try encryption("?sslmode=require") == .require)
        #expect(try encryption("?sslmode=require&sslrootcert=/etc/ca.pem") == .verify(rootCertificates: "/etc/ca.pem", checksHost: false))
        #expect(try encryption("?sslmode=verify-ca") == .verify(rootCertificates: nil, checksHost: false))
        #expect(try encryption("?sslmode=verify-full&sslrootcert=system") == .verify(rootCertificates: nil, checksHost: true))
        #expect(try encryption("?sslrootcert=system") == .verify(rootCertificates: nil, checksHost: true))
    }

    @Test(arguments: [
        ("postgresql://db.example.com", "names no database"),
        ("postgresql:///tokens", "names no server"),
        ("postgresql:///tokens?host=relative/dir", "directory of the server's socket"),
        ("postgresql://db:99999/tokens", "out of range"),
        ("postgresql://db/tokens?sslmode=verify-everything", "sslmode=verify-everything is not a mode"),
        ("postgresql://db/tokens?sslmode=require&sslrootcert=", "sslrootcert= takes a file"),
        ("postgresql://db/tokens?sslmode=verify-full&sslmode=prefer", "sslmode= is given twice"),
        ("postgresql://db/tokens?sslmode=require&sslrootcert=system", "sslrootcert=system needs sslmode=verify-full"),
        ("postgresql://ana@db/tokens?user=bob", "names two users"),
        ("postgresql://root:hunter2/x@db/tokens", "not a PostgreSQL URL"),
        ("postgresql://root:hunter2?x@db/tokens", "not a PostgreSQL URL"),
        ("postgresql://ops:hunter2@db/a/b", "names no database"),
        ("postgresql://root:hunter2@127.0.0.1:abc/t", "not a PostgreSQL URL"),
        ("postgresql://root:hunter2@[::1/db", "not a PostgreSQL URL"),
        ("postgresql://db/t?password=hunter2", "unknown URL parameter 'password'"),
        ("POSTGRESQL:/tokens", "not a PostgreSQL URL"),
        ("postgresql://ops:hunter2@db/apitokens%00test", "NUL character"),
    ])
    func aBadURLIsOneLineThatNeverShowsThePassword(url: String, reason: String) {
        #expect(throws: TokenStoreError.self) { try PostgresLocation(parsing: url, osUser: "jo") }
        do {
            _ = try PostgresLocation(parsing: url, osUser: "jo")
        } catch {
            #expect("\(error)".contains(reason), "\(error)")
            #expect(!"\(error)".contains("hunter2"))
            #expect(!"\(error)".contains("\n"))
        }
    }
}
