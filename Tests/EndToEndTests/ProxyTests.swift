import Foundation
import Testing
import TestSupport

/// Real reverse proxies in front of a tiny upstream, asking `apitokens serve` on a Unix socket about every request:
/// nginx with `auth_request`, Caddy with `forward_auth`, configured as the README says.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ProxyTests {
    let cli = CLIRunner()
    var socket: String { cli.directory.appendingPathComponent("check.sock").path }

    /// A proxy on loopback, started from a configuration file, stopped with the test.
    final class Proxy {
        let process: ChildProcess.Running
        let front: Int

        init(_ program: String, _ arguments: [String], front: Int, environment: [String: String]? = nil) throws {
            process = try ChildProcess.start(program, arguments, environment: environment)
            self.front = front
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if let answer = try? HTTPExchange.curl(["http://127.0.0.1:\(front)/healthz-of-proxy"]), answer.status != 0 { return }
                usleep(50_000)
            }
            throw ProxyDidNotStart(output: process.wait().stderr)
        }

        // A master stopped by SIGTERM stops its workers first; killing it outright would orphan them.
        deinit {
            process.signal(SIGTERM)
            process.wait()
        }

        func get(_ path: String, bearer: String?) throws -> HTTPExchange {
            try HTTPExchange.get("http://127.0.0.1:\(front)\(path)", bearer: bearer)
        }

        struct ProxyDidNotStart: Error { let output: String }
    }

    func nginx() throws -> Proxy {
        let front = freeLoopbackPort(), upstream = freeLoopbackPort()
        let prefix = cli.directory.appendingPathComponent("nginx").path
        try FileManager.default.createDirectory(atPath: prefix + "/tmp", withIntermediateDirectories: true)
        func check(_ name: String, _ permission: String) -> String {
            """
                location = /_\(name) {
                  internal;
                  proxy_pass http://unix:\(socket):/check?permission=\(permission);
                  proxy_pass_request_body off;
                  proxy_set_header Content-Length "";
                  proxy_set_header X-Forwarded-For $remote_addr;
                }
            """
        }
        let config = """
            worker_processes 1;
            daemon off;
            \(geteuid() == 0 ? "user root root;" : "")
            pid \(prefix)/nginx.pid;
            error_log \(prefix)/error.log notice;
            events { worker_connections 128; }
            http {
              access_log off;
              client_body_temp_path \(prefix)/tmp; proxy_temp_path \(prefix)/tmp; fastcgi_temp_path \(prefix)/tmp;
              uwsgi_temp_path \(prefix)/tmp; scgi_temp_path \(prefix)/tmp;
              server {
                listen 127.0.0.1:\(upstream);
                location / { return 200 "upstream saw sub=$http_x_token_sub team=$http_x_token_team\\n"; }
              }
              server {
                listen 127.0.0.1:\(front);
            \(check("read", "read_site"))
            \(check("deploys", "manage_deploys"))
                location /api/ {
                  auth_request /_read;
                  auth_request_set $token_sub $upstream_http_x_token_sub;
                  auth_request_set $token_team $upstream_http_x_token_team;
                  proxy_set_header X-Token-Sub $token_sub;
                  proxy_set_header X-Token-Team $token_team;
                  proxy_pass http://127.0.0.1:\(upstream);
                }
                location /deploys/ {
                  auth_request /_deploys;
                  proxy_pass http://127.0.0.1:\(upstream);
                }
              }
            }
            """
        try config.write(toFile: prefix + "/nginx.conf", atomically: true, encoding: .utf8)
        return try Proxy("/usr/sbin/nginx", ["-p", prefix, "-c", prefix + "/nginx.conf", "-e", prefix + "/error.log"], front: front)
    }

    func caddy() throws -> Proxy {
        let front = freeLoopbackPort(), upstream = freeLoopbackPort()
        let home = cli.directory.appendingPathComponent("caddy").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let config = """
            {
              admin off
              auto_https off
              storage file_system \(home)/data
            }
            http://127.0.0.1:\(front) {
              handle /api/* {
                forward_auth unix/\(socket) {
                  uri /check?permission=read_site
                  copy_headers X-Token-Sub X-Token-Team
                }
                reverse_proxy 127.0.0.1:\(upstream)
              }
              handle /deploys/* {
                forward_auth unix/\(socket) {
                  uri /check?permission=manage_deploys
                }
                reverse_proxy 127.0.0.1:\(upstream)
              }
              respond 404
            }
            http://127.0.0.1:\(upstream) {
              respond "upstream saw sub={header.X-Token-Sub} team={header.X-Token-Team}"
            }
            """
        try config.write(toFile: home + "/Caddyfile", atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home
        environment["XDG_DATA_HOME"] = home
        environment["XDG_CONFIG_HOME"] = home
        return try Proxy("/usr/bin/caddy", ["run", "--config", home + "/Caddyfile", "--adapter", "caddyfile"],
                         front: front, environment: environment)
    }

    /// Good, missing, garbage, revoked and rolled-out tokens, a missing permission, serve killed and restarted.
    func exercise(_ proxy: Proxy) throws {
        func create(_ name: String) throws -> String {
            try cli.run(["token", "create", "--name", name, "--team", "Default"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let good = try create("good"), revoked = try create("revoked"), rolled = try create("rolled")
        #expect(try cli.run(["token", "revoke", "2", "--yes"]).status == 0)
        #expect(try cli.run(["token", "roll", "3"]).status == 0)
        var serve: ServeProcess? = try ServeProcess(database: cli.database, arguments: ["--listen", "unix:\(socket)"])

        let passed = try HTTPExchange.get("http://127.0.0.1:\(proxy.front)/api/hello", bearer: good,
                                          headers: ["X-Token-Sub: mallory", "X-Token-Team: Evil"])
        #expect(passed.status == 200 && passed.body.contains("upstream saw sub=\(NSUserName()) team=Default"), "\(passed)")
        for bad in [nil, "garbage", revoked, rolled] {
            #expect(try proxy.get("/api/hello", bearer: bad).status == 401, "\(bad?.prefix(6) ?? "none")")
        }
        #expect(try proxy.get("/deploys/now", bearer: good).status == 403)

        serve?.process.signal(SIGKILL)
        serve?.process.wait()
        serve = nil
        let down = try proxy.get("/api/hello", bearer: good)
        #expect(!(200..<300).contains(down.status), "a proxy let a request through with serve down: \(down.status)")
        serve = try ServeProcess(database: cli.database, arguments: ["--listen", "unix:\(socket)"])
        #expect(try proxy.get("/api/hello", bearer: good).status == 200)
        #expect(try cli.run(["token", "revoke", "1", "--yes"]).status == 0)
        #expect(try proxy.get("/api/hello", bearer: good).status == 401)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx"), "needs nginx"), arguments: Engine.available)
    func nginxAuthRequestAsksServeAboutEveryRequest(_ engine: Engine) throws {
        cli.use(engine)
        try exercise(try nginx())
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/caddy"), "needs caddy"), arguments: Engine.available)
    func caddyForwardAuthAsksServeAboutEveryRequest(_ engine: Engine) throws {
        cli.use(engine)
        try exercise(try caddy())
    }
}
