#include "kube/free_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>

#include <fstream>

#include "status_matchers.hpp"

namespace sso::kube {
namespace {

TEST(FreePort, IsBelowTheEphemeralRangeAndCanBeListenedOn) {
  int ephemeral_low = 0;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  ASSERT_GT(ephemeral_low, 1024);
  for (int i = 0; i < 20; ++i) {
    auto port = find_free_port("127.0.0.1");
    ASSERT_THAT(port, sso::testing::IsOk());
    // Never one the kernel may give an outgoing connection before the listener binds it.
    EXPECT_LT(*port, ephemeral_low);
    EXPECT_GT(*port, 1024);
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(*port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << "port " << *port;
    EXPECT_EQ(listen(fd, 1), 0);
    close(fd);
  }
}

}  // namespace
}  // namespace sso::kube
