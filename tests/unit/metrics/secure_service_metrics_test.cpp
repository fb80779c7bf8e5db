#include "metrics/secure_service_metrics.hpp"

#include <gmock/gmock.h>

namespace sso::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(SecureServiceMetrics, ExportsCertificateTimesPerService) {
  Registry registry;
  SecureServiceMetrics metrics(registry);
  metrics.set_certificate("shop", "payments", 1800000000, 1790000000);
  const std::string text = registry.scrape();
  EXPECT_THAT(text,
              HasSubstr("secureservice_certificate_expiration_timestamp_seconds{name=\"payments\",namespace=\"shop\"} "
                        "1800000000"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "secureservice_certificate_renewal_timestamp_seconds{name=\"payments\",namespace=\"shop\"} 1790000000"));
}

TEST(SecureServiceMetrics, ReadyStatusHasOneConditionSet) {
  Registry registry;
  SecureServiceMetrics metrics(registry);
  metrics.set_ready("shop", "payments", true);
  std::string text = registry.scrape();
  EXPECT_THAT(text, HasSubstr("secureservice_certificate_ready_status{condition=\"True\",name=\"payments\","
                              "namespace=\"shop\"} 1"));
  EXPECT_THAT(text, HasSubstr("secureservice_certificate_ready_status{condition=\"False\",name=\"payments\","
                              "namespace=\"shop\"} 0"));
  metrics.set_ready("shop", "payments", false);
  text = registry.scrape();
  EXPECT_THAT(text, HasSubstr("secureservice_certificate_ready_status{condition=\"True\",name=\"payments\","
                              "namespace=\"shop\"} 0"));
  EXPECT_THAT(text, HasSubstr("secureservice_certificate_ready_status{condition=\"False\",name=\"payments\","
                              "namespace=\"shop\"} 1"));
}

TEST(SecureServiceMetrics, ForgetRemovesTheServicesSeriesOnly) {
  Registry registry;
  SecureServiceMetrics metrics(registry);
  for (const char* name : {"payments", "orders"}) {
    metrics.set_certificate("shop", name, 1800000000, 1790000000);
    metrics.set_ready("shop", name, true);
  }
  metrics.forget("shop", "payments");
  const std::string text = registry.scrape();
  EXPECT_THAT(text, Not(HasSubstr("name=\"payments\"")));
  EXPECT_THAT(text,
              HasSubstr("secureservice_certificate_expiration_timestamp_seconds{name=\"orders\",namespace=\"shop\"}"));
  EXPECT_THAT(text,
              HasSubstr("secureservice_certificate_renewal_timestamp_seconds{name=\"orders\",namespace=\"shop\"}"));
  EXPECT_THAT(text, HasSubstr("secureservice_certificate_ready_status{condition=\"True\",name=\"orders\""));
  EXPECT_THAT(text, HasSubstr("secureservice_certificate_ready_status{condition=\"False\",name=\"orders\""));
}

TEST(SecureServiceMetrics, ForgettingAnUnknownServiceIsHarmless) {
  Registry registry;
  SecureServiceMetrics metrics(registry);
  metrics.forget("shop", "never-seen");
  metrics.set_ready("shop", "payments", true);
  metrics.forget("shop", "payments");
  metrics.forget("shop", "payments");
  EXPECT_THAT(registry.scrape(), Not(HasSubstr("name=\"payments\"")));
}

TEST(SecureServiceMetrics, CountsIssuedCertificatesByReasonAndAlgorithm) {
  Registry registry;
  SecureServiceMetrics metrics(registry);
  metrics.count_issued("MissingData", "ECDSA");
  metrics.count_issued("MissingData", "ECDSA");
  metrics.count_issued("RenewalDue", "RSA");
  const std::string text = registry.scrape();
  EXPECT_THAT(text, HasSubstr("secureservice_certificates_issued_total{algorithm=\"ECDSA\",reason=\"MissingData\"} 2"));
  EXPECT_THAT(text, HasSubstr("secureservice_certificates_issued_total{algorithm=\"RSA\",reason=\"RenewalDue\"} 1"));
}

TEST(SecureServiceMetrics, CountsRevokedCertificatesByReason) {
  Registry registry;
  SecureServiceMetrics metrics(registry);
  metrics.count_revoked("keyCompromise");
  metrics.count_revoked("keyCompromise");
  metrics.count_revoked("superseded");
  const std::string text = registry.scrape();
  EXPECT_THAT(text, HasSubstr("secureservice_certificates_revoked_total{reason=\"keyCompromise\"} 2"));
  EXPECT_THAT(text, HasSubstr("secureservice_certificates_revoked_total{reason=\"superseded\"} 1"));
}

TEST(SecureServiceMetrics, ExportsTheCaExpiration) {
  Registry registry;
  SecureServiceMetrics metrics(registry);
  metrics.set_ca_expiration("ops/cluster-ca", 1900000000);
  EXPECT_THAT(registry.scrape(),
              HasSubstr("secureservice_ca_expiration_timestamp_seconds{secret=\"ops/cluster-ca\"} 1900000000"));
}

TEST(SecureServiceMetrics, SumsManagedObjectsPerKindOverServices) {
  Registry registry;
  SecureServiceMetrics metrics(registry);
  metrics.set_managed("shop/payments", {{"Secret", 1}, {"NetworkPolicy", 1}, {"AuthorizationPolicy", 2}});
  metrics.set_managed("shop/orders", {{"Secret", 1}, {"NetworkPolicy", 1}});
  std::string text = registry.scrape();
  EXPECT_THAT(text, HasSubstr("secureservice_managed_objects{kind=\"Secret\"} 2"));
  EXPECT_THAT(text, HasSubstr("secureservice_managed_objects{kind=\"NetworkPolicy\"} 2"));
  EXPECT_THAT(text, HasSubstr("secureservice_managed_objects{kind=\"AuthorizationPolicy\"} 2"));
  // Setting a service again replaces its counts, not adds to them.
  metrics.set_managed("shop/payments", {{"Secret", 1}, {"NetworkPolicy", 1}, {"AuthorizationPolicy", 1}});
  text = registry.scrape();
  EXPECT_THAT(text, HasSubstr("secureservice_managed_objects{kind=\"Secret\"} 2"));
  EXPECT_THAT(text, HasSubstr("secureservice_managed_objects{kind=\"AuthorizationPolicy\"} 1"));
}

TEST(SecureServiceMetrics, AKindNoServiceKeepsAnyMoreGoesToZero) {
  Registry registry;
  SecureServiceMetrics metrics(registry);
  metrics.set_managed("shop/payments", {{"Secret", 1}, {"AuthorizationPolicy", 2}});
  metrics.set_managed("shop/orders", {{"Secret", 1}});
  metrics.set_managed("shop/payments", {{"Secret", 1}});  // the mesh was turned off
  std::string text = registry.scrape();
  EXPECT_THAT(text, HasSubstr("secureservice_managed_objects{kind=\"AuthorizationPolicy\"} 0"));
  EXPECT_THAT(text, HasSubstr("secureservice_managed_objects{kind=\"Secret\"} 2"));
  metrics.forget_managed("shop/payments");
  metrics.forget_managed("shop/orders");
  text = registry.scrape();
  EXPECT_THAT(text, HasSubstr("secureservice_managed_objects{kind=\"Secret\"} 0"));
  EXPECT_THAT(text, HasSubstr("secureservice_managed_objects{kind=\"AuthorizationPolicy\"} 0"));
}

}  // namespace
}  // namespace sso::metrics
