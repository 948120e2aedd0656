package dev.sandpod.attacks;

import java.util.List;

import static dev.sandpod.attacks.Attack.program;
import static dev.sandpod.attacks.Expect.everyLineDenied;
import static dev.sandpod.attacks.Fixture.ABSTRACT_SOCKET;
import static dev.sandpod.attacks.Fixture.HOST_ADDRESSES;
import static dev.sandpod.attacks.Fixture.SERVICE_PORT;
import static dev.sandpod.attacks.Fixture.TCP_PORT;
import static dev.sandpod.attacks.Fixture.UDP_PORT;
import static dev.sandpod.attacks.Fixture.UNIX_SOCKET;
import static dev.sandpod.attacks.Surface.NETWORK;

/**
 * Programs that try to reach anything outside the jail: the host's listeners (the test opens real ones and checks
 * that nothing arrived), DNS, the metadata service, raw and exotic sockets, and container-runtime sockets.
 */
final class NetworkAttacks {
    /** errno names and exception types that mean "no route out of the jail". */
    private static final String[] UNREACHABLE = {"ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH", "EADDRNOTAVAIL",
        "ETIMEDOUT", "EAFNOSUPPORT", "gaierror"};
    /** A socket the kernel or the filter refused to create. */
    private static final String[] NO_SOCKET = {"EPERM", "EACCES", "EAFNOSUPPORT", "EPROTONOSUPPORT", "EINVAL",
        "ESOCKTNOSUPPORT"};

    private NetworkAttacks() {
    }

    static List<Attack> all() {
        return List.of(
                program(NETWORK, "TCP to the host's loopback listener and to the service", """
                        import errno, socket, sys
                        for port in sys.argv[1:3]:
                            for host in ("127.0.0.1", "::1", "localhost"):
                                try:
                                    socket.create_connection((host, int(port)), timeout=1).close()
                                    print(f"{host}:{port}: CONNECTED")
                                except socket.gaierror:
                                    print(f"{host}:{port}: gaierror")
                                except OSError as e:
                                    print(f"{host}:{port}: {errno.errorcode.get(e.errno, 'ETIMEDOUT')}")
                        """).args(TCP_PORT, SERVICE_PORT).expecting(everyLineDenied(UNREACHABLE)),
                program(NETWORK, "TCP to the host's own addresses and the cloud metadata service", """
                        import errno, socket, sys
                        for address in sys.argv[2].split(","):
                            try:
                                socket.create_connection((address, int(sys.argv[1])), timeout=1).close()
                                print(f"{address}: CONNECTED")
                            except OSError as e:
                                print(f"{address}: {errno.errorcode.get(e.errno, 'ETIMEDOUT')}")
                        """).args(TCP_PORT, HOST_ADDRESSES).expecting(everyLineDenied(UNREACHABLE)),
                program(NETWORK, "DNS lookups, by name and by hand to public resolvers", """
                        import errno, socket
                        try:
                            print("getaddrinfo:", socket.getaddrinfo("example.com", 443)[0][4][0])
                        except socket.gaierror:
                            print("getaddrinfo: gaierror")
                        query = bytes.fromhex("abcd01000001000000000000076578616d706c6503636f6d0000010001")
                        for resolver in ("8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"):
                            family = socket.AF_INET6 if ":" in resolver else socket.AF_INET
                            s = socket.socket(family, socket.SOCK_DGRAM)
                            s.settimeout(1)
                            try:
                                s.sendto(query, (resolver, 53))
                                s.recv(512)
                                print(f"{resolver}: ANSWERED")
                            except OSError as e:
                                print(f"{resolver}: {errno.errorcode.get(e.errno, 'ETIMEDOUT')}")
                        """).expecting(everyLineDenied(UNREACHABLE)),
                program(NETWORK, "UDP to the host's socket", """
                        import errno, socket, sys
                        for address in ["127.0.0.1"] + sys.argv[2].split(","):
                            s = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_DGRAM)
                            try:
                                s.sendto(b"escaped", (address, int(sys.argv[1])))
                                print(f"{address}: SENT")
                            except OSError as e:
                                print(f"{address}: {errno.errorcode[e.errno]}")
                        """).args(UDP_PORT, HOST_ADDRESSES).expecting(Expect.finished()),
                program(NETWORK, "raw and ICMP sockets", socketEach(
                        "AF_INET SOCK_RAW IPPROTO_ICMP", "AF_INET SOCK_RAW IPPROTO_RAW", "AF_INET6 SOCK_RAW IPPROTO_ICMPV6",
                        "AF_INET SOCK_DGRAM IPPROTO_ICMP")).expecting(everyLineDenied(NO_SOCKET)),
                program(NETWORK, "packet sockets", socketEach("AF_PACKET SOCK_RAW 768", "AF_PACKET SOCK_DGRAM 768"))
                        .expecting(everyLineDenied(NO_SOCKET)),
                program(NETWORK, "AF_VSOCK to the hypervisor", socketEach("AF_VSOCK SOCK_STREAM 0",
                        "AF_VSOCK SOCK_DGRAM 0")).expecting(everyLineDenied(NO_SOCKET)),
                program(NETWORK, "kernel-side socket families: crypto, keys, RDS, TIPC, CAN, XDP, Bluetooth", socketEach(
                        "AF_ALG SOCK_SEQPACKET 0", "AF_KEY SOCK_RAW 2", "AF_RDS SOCK_SEQPACKET 0",
                        "AF_TIPC SOCK_RDM 0", "AF_CAN SOCK_RAW 1", "AF_XDP SOCK_RAW 0", "AF_BLUETOOTH SOCK_RAW 1"))
                        .expecting(everyLineDenied(NO_SOCKET)),
                program(NETWORK, "abstract Unix socket of a host process", """
                        import errno, socket, sys
                        name = sys.argv[1]
                        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                        try:
                            s.connect(chr(0) + name)
                            print("connect: CONNECTED")
                        except OSError as e:
                            print("connect:", errno.errorcode[e.errno])
                        listed = name in open("/proc/net/unix").read()
                        print("/proc/net/unix:", "LISTED" if listed else "ABSENT")
                        """).args(ABSTRACT_SOCKET).expecting(everyLineDenied("ECONNREFUSED", "ABSENT")),
                program(NETWORK, "docker.sock and other runtime sockets", """
                        import errno, socket, sys
                        for path in [sys.argv[1], "/var/run/docker.sock", "/run/docker.sock",
                                     "/run/containerd/containerd.sock", "/run/crio/crio.sock",
                                     "/var/run/dbus/system_bus_socket", "/run/systemd/private"]:
                            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                            try:
                                s.connect(path)
                                print(f"{path}: CONNECTED")
                            except OSError as e:
                                print(f"{path}: {errno.errorcode[e.errno]}")
                        """).args(UNIX_SOCKET).expecting(everyLineDenied("ENOENT", "EACCES")));
    }

    /** Tries to create each socket, given as "FAMILY TYPE PROTO"; it never connects one that it got. */
    private static String socketEach(String... sockets) {
        return """
                import errno, socket
                FAMILIES = {"AF_VSOCK": 40, "AF_ALG": 38, "AF_KEY": 15, "AF_RDS": 21, "AF_TIPC": 30, "AF_CAN": 29,
                            "AF_XDP": 44, "AF_BLUETOOTH": 31, "AF_PACKET": 17}
                for spec in SPECS:
                    family, kind, proto = spec.split()
                    number = FAMILIES.get(family) or getattr(socket, family)
                    proto = getattr(socket, proto) if proto.startswith("IPPROTO") else int(proto)
                    try:
                        socket.socket(number, getattr(socket, kind), proto).close()
                        print(f"{spec}: CREATED")
                    except OSError as e:
                        print(f"{spec}: {errno.errorcode[e.errno]}")
                """.replace("SPECS", List.of(sockets).stream().map(spec -> "\"" + spec + "\"").toList().toString());
    }
}
