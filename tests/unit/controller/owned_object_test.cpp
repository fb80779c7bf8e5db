#include "controller/owned_object.hpp"

#include <gmock/gmock.h>

#include "secure_service_fixtures.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;

TEST(OwnedObject, CarriesApiVersionKindNameAndTheServiceNamespace) {
  const json object = owned_object(testing::make_secure_service(), "networking.k8s.io/v1", "NetworkPolicy", "x");
  EXPECT_EQ(object["apiVersion"], "networking.k8s.io/v1");
  EXPECT_EQ(object["kind"], "NetworkPolicy");
  EXPECT_EQ(object["metadata"]["name"], "x");
  EXPECT_EQ(object["metadata"]["namespace"], "shop");
}

TEST(OwnedObject, IsLabelledManagedByTheOperatorAndNamedAfterTheService) {
  const json labels = owned_metadata(testing::make_secure_service(), "x")["labels"];
  EXPECT_EQ(labels,
            (json{{"app.kubernetes.io/managed-by", "secureservice-operator"}, {"secureservice.io/name", "payments"}}));
}

TEST(OwnedObject, HasAControllerOwnerReferenceSoDeletingTheServiceDeletesIt) {
  const json refs = owned_metadata(testing::make_secure_service(), "x")["ownerReferences"];
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0], (json{{"apiVersion", "secureservice.io/v1alpha1"},
                           {"kind", "SecureService"},
                           {"name", "payments"},
                           {"uid", "uid-payments"},
                           {"controller", true},
                           {"blockOwnerDeletion", true}}));
}

TEST(OwnedObject, HasNoOwnerReferenceWithoutAUidAsWhenRenderedOffline) {
  api::SecureService service = testing::make_secure_service();
  service.uid.clear();
  EXPECT_FALSE(owned_metadata(service, "x").contains("ownerReferences"));
}

}  // namespace
}  // namespace sso::controller
