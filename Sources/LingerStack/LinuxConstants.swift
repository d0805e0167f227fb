// Linux's numbers: errno values, flags, socket levels and option names, as
// include/uapi defines them on x86-64 and arm64. The runner hands calls over in
// these numbers, so the stack reads them exactly as the kernel does.

let EPERM: Int32 = 1
let ENOENT: Int32 = 2
let EINTR: Int32 = 4
let EBADF: Int32 = 9
let EAGAIN: Int32 = 11
let ENOMEM: Int32 = 12
let EFAULT: Int32 = 14
let EEXIST: Int32 = 17
let EINVAL: Int32 = 22
let EMFILE: Int32 = 24
let ENOTTY: Int32 = 25
let ESPIPE: Int32 = 29
let EPIPE: Int32 = 32
let ENOTSOCK: Int32 = 88
let EDESTADDRREQ: Int32 = 89
let EMSGSIZE: Int32 = 90
let EPROTOTYPE: Int32 = 91
let ENOPROTOOPT: Int32 = 92
let EPROTONOSUPPORT: Int32 = 93
let ESOCKTNOSUPPORT: Int32 = 94
let EOPNOTSUPP: Int32 = 95
let EAFNOSUPPORT: Int32 = 97
let EADDRINUSE: Int32 = 98
let EADDRNOTAVAIL: Int32 = 99
let ENETUNREACH: Int32 = 101
let ECONNABORTED: Int32 = 103
let ECONNRESET: Int32 = 104
let ENOBUFS: Int32 = 105
let EISCONN: Int32 = 106
let ENOTCONN: Int32 = 107
let ETIMEDOUT: Int32 = 110
let ECONNREFUSED: Int32 = 111
let EHOSTUNREACH: Int32 = 113
let EALREADY: Int32 = 114
let EINPROGRESS: Int32 = 115

let AF_UNSPEC: Int32 = 0
let AF_INET: Int32 = 2
let AF_INET6: Int32 = 10
let SOCK_STREAM: Int32 = 1
let SOCK_DGRAM: Int32 = 2
let SOCK_RAW: Int32 = 3
let SOCK_NONBLOCK: Int32 = 0o4000
let SOCK_CLOEXEC: Int32 = 0o2000000
let IPPROTO_IP: Int32 = 0
let IPPROTO_TCP: Int32 = 6
let IPPROTO_UDP: Int32 = 17

let O_RDONLY: Int32 = 0
let O_WRONLY: Int32 = 1
let O_RDWR: Int32 = 2
let O_NONBLOCK: Int32 = 0o4000
let O_APPEND: Int32 = 0o2000
let O_CLOEXEC: Int32 = 0o2000000
let F_DUPFD: Int32 = 0
let F_GETFD: Int32 = 1
let F_SETFD: Int32 = 2
let F_GETFL: Int32 = 3
let F_SETFL: Int32 = 4
let F_DUPFD_CLOEXEC: Int32 = 1030
let FD_CLOEXEC: Int32 = 1

let MSG_OOB: Int32 = 0x1
let MSG_PEEK: Int32 = 0x2
let MSG_DONTROUTE: Int32 = 0x4
let MSG_TRUNC: Int32 = 0x20
let MSG_DONTWAIT: Int32 = 0x40
let MSG_EOR: Int32 = 0x80
let MSG_WAITALL: Int32 = 0x100
let MSG_ERRQUEUE: Int32 = 0x2000
let MSG_NOSIGNAL: Int32 = 0x4000
let MSG_MORE: Int32 = 0x8000
let MSG_ZEROCOPY: Int32 = 0x400_0000
let MSG_FASTOPEN: Int32 = 0x2000_0000

let SHUT_RD: Int32 = 0
let SHUT_WR: Int32 = 1
let SHUT_RDWR: Int32 = 2

let SOL_IP: Int32 = 0
let SOL_SOCKET: Int32 = 1
let SOL_TCP: Int32 = 6
let SOL_IPV6: Int32 = 41

let SO_DEBUG: Int32 = 1
let SO_REUSEADDR: Int32 = 2
let SO_TYPE: Int32 = 3
let SO_ERROR: Int32 = 4
let SO_DONTROUTE: Int32 = 5
let SO_BROADCAST: Int32 = 6
let SO_SNDBUF: Int32 = 7
let SO_RCVBUF: Int32 = 8
let SO_KEEPALIVE: Int32 = 9
let SO_OOBINLINE: Int32 = 10
let SO_NO_CHECK: Int32 = 11
let SO_PRIORITY: Int32 = 12
let SO_LINGER: Int32 = 13
let SO_REUSEPORT: Int32 = 15
let SO_RCVLOWAT: Int32 = 18
let SO_SNDLOWAT: Int32 = 19
let SO_RCVTIMEO_OLD: Int32 = 20
let SO_SNDTIMEO_OLD: Int32 = 21
let SO_BINDTODEVICE: Int32 = 25
let SO_TIMESTAMP_OLD: Int32 = 29
let SO_ACCEPTCONN: Int32 = 30
let SO_SNDBUFFORCE: Int32 = 32
let SO_RCVBUFFORCE: Int32 = 33
let SO_MARK: Int32 = 36
let SO_TIMESTAMPING_OLD: Int32 = 37
let SO_PROTOCOL: Int32 = 38
let SO_DOMAIN: Int32 = 39
let SO_MAX_PACING_RATE: Int32 = 47
let SO_ZEROCOPY: Int32 = 60
let SO_RCVTIMEO_NEW: Int32 = 66
let SO_SNDTIMEO_NEW: Int32 = 67

let TCP_NODELAY: Int32 = 1
let TCP_MAXSEG: Int32 = 2
let TCP_CORK: Int32 = 3
let TCP_KEEPIDLE: Int32 = 4
let TCP_KEEPINTVL: Int32 = 5
let TCP_KEEPCNT: Int32 = 6
let TCP_SYNCNT: Int32 = 7
let TCP_LINGER2: Int32 = 8
let TCP_DEFER_ACCEPT: Int32 = 9
let TCP_WINDOW_CLAMP: Int32 = 10
let TCP_INFO: Int32 = 11
let TCP_QUICKACK: Int32 = 12
let TCP_CONGESTION: Int32 = 13
let TCP_THIN_LINEAR_TIMEOUTS: Int32 = 16
let TCP_USER_TIMEOUT: Int32 = 18
let TCP_FASTOPEN: Int32 = 23
let TCP_NOTSENT_LOWAT: Int32 = 25
let TCP_FASTOPEN_CONNECT: Int32 = 30
let TCP_INQ: Int32 = 36
let TCP_CM_INQ: Int32 = 36

let IP_TOS: Int32 = 1
let IP_TTL: Int32 = 2
let IP_RECVERR: Int32 = 11
let IP_MTU_DISCOVER: Int32 = 10
let IPV6_RECVERR: Int32 = 25
let IPV6_V6ONLY: Int32 = 26
let IPV6_TCLASS: Int32 = 67

let FIONREAD: UInt64 = 0x541B
let SIOCINQ: UInt64 = 0x541B
let SIOCOUTQ: UInt64 = 0x5411
let SIOCOUTQNSD: UInt64 = 0x894B
let FIONBIO: UInt64 = 0x5421

let POLLIN: Int16 = 0x1
let POLLPRI: Int16 = 0x2
let POLLOUT: Int16 = 0x4
let POLLERR: Int16 = 0x8
let POLLHUP: Int16 = 0x10
let POLLNVAL: Int16 = 0x20
let POLLRDNORM: Int16 = 0x40
let POLLRDBAND: Int16 = 0x80
let POLLWRNORM: Int16 = 0x100
let POLLWRBAND: Int16 = 0x200
let POLLRDHUP: Int16 = 0x2000

let EPOLL_CTL_ADD: Int32 = 1
let EPOLL_CTL_DEL: Int32 = 2
let EPOLL_CTL_MOD: Int32 = 3
let EPOLLEXCLUSIVE: UInt32 = 1 << 28
let EPOLLWAKEUP: UInt32 = 1 << 29
let EPOLLONESHOT: UInt32 = 1 << 30
let EPOLLET: UInt32 = 1 << 31

/// Linux's SKB_TRUESIZE-based minimum buffer sizes (SOCK_MIN_SNDBUF, SOCK_MIN_RCVBUF).
let minimumSendBuffer = 4608
let minimumReceiveBuffer = 2304
