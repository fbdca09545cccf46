# Confluent Cloud part of the CDC workshop: environment (Stream Governance ADVANCED, so Schema
# Registry is provisioned automatically), Basic Kafka cluster, four service accounts with their
# role bindings and API keys, the salesforce_contacts topic with its Avro value schema, and a
# Flink compute pool. Connectors, Flink statements and tags are created by the lessons.

resource "random_id" "suffix" {
  byte_length = 2
}

locals {
  suffix       = random_id.suffix.hex
  env_name     = "${var.env_name_prefix}-${local.suffix}"
  cluster_name = "${var.cluster_name_prefix}-${local.suffix}"
  description  = "cdc-workshop (owner: ${var.owner})"
}

data "confluent_organization" "this" {}

data "confluent_flink_region" "this" {
  cloud  = var.cloud
  region = var.region
}

data "confluent_ip_addresses" "egress" {
  filter {
    clouds        = [var.cloud]
    regions       = [var.region]
    services      = ["KAFKA"]
    address_types = ["EGRESS"]
  }
}

resource "confluent_environment" "this" {
  display_name = local.env_name

  stream_governance {
    package = "ADVANCED"
  }
}

resource "confluent_kafka_cluster" "this" {
  display_name = local.cluster_name
  availability = "SINGLE_ZONE"
  cloud        = var.cloud
  region       = var.region
  basic {}

  environment {
    id = confluent_environment.this.id
  }
}

# Provider 2.x: the Schema Registry cluster is created by Confluent for the environment once it
# has a governance package and a first Kafka cluster, so read it only after both exist.
data "confluent_schema_registry_cluster" "this" {
  environment {
    id = confluent_environment.this.id
  }

  depends_on = [
    confluent_environment.this,
    confluent_kafka_cluster.this,
  ]
}

# --- service accounts -----------------------------------------------------------------------

resource "confluent_service_account" "app_manager" {
  display_name = "cmapp-manager-${local.suffix}"
  description  = "${local.description}: manages topics, schemas and Flink statements"
}

resource "confluent_service_account" "sr" {
  display_name = "cmsr-${local.suffix}"
  description  = "${local.description}: Schema Registry and catalog (tags) access"
}

resource "confluent_service_account" "clients" {
  display_name = "cmclient-${local.suffix}"
  description  = "${local.description}: the participant's own Kafka clients"
}

resource "confluent_service_account" "connectors" {
  display_name = "cmconnectors-${local.suffix}"
  description  = "${local.description}: principal of the fully-managed connectors"
}

# --- role bindings --------------------------------------------------------------------------

resource "confluent_role_binding" "app_manager_env_admin" {
  principal   = "User:${confluent_service_account.app_manager.id}"
  role_name   = "EnvironmentAdmin"
  crn_pattern = confluent_environment.this.resource_name
}

resource "confluent_role_binding" "app_manager_flink_developer" {
  principal   = "User:${confluent_service_account.app_manager.id}"
  role_name   = "FlinkDeveloper"
  crn_pattern = confluent_environment.this.resource_name
}

resource "confluent_role_binding" "app_manager_flink_admin" {
  principal   = "User:${confluent_service_account.app_manager.id}"
  role_name   = "FlinkAdmin"
  crn_pattern = confluent_environment.this.resource_name
}

# Lets the app manager run Flink statements with itself as principal.
resource "confluent_role_binding" "app_manager_assigner" {
  principal   = "User:${confluent_service_account.app_manager.id}"
  role_name   = "Assigner"
  crn_pattern = "${data.confluent_organization.this.resource_name}/service-account=${confluent_service_account.app_manager.id}"
}

resource "confluent_role_binding" "sr_env_admin" {
  principal   = "User:${confluent_service_account.sr.id}"
  role_name   = "EnvironmentAdmin"
  crn_pattern = confluent_environment.this.resource_name
}

resource "confluent_role_binding" "clients_cluster_admin" {
  principal   = "User:${confluent_service_account.clients.id}"
  role_name   = "CloudClusterAdmin"
  crn_pattern = confluent_kafka_cluster.this.rbac_crn
}

resource "confluent_role_binding" "connectors_cluster_admin" {
  principal   = "User:${confluent_service_account.connectors.id}"
  role_name   = "CloudClusterAdmin"
  crn_pattern = confluent_kafka_cluster.this.rbac_crn
}

# --- API keys -------------------------------------------------------------------------------

resource "confluent_api_key" "app_manager_kafka" {
  display_name = "cmapp-manager-${local.cluster_name}-key-${local.suffix}"
  description  = "${local.description}: Kafka API key of the app manager"

  owner {
    id          = confluent_service_account.app_manager.id
    api_version = confluent_service_account.app_manager.api_version
    kind        = confluent_service_account.app_manager.kind
  }

  managed_resource {
    id          = confluent_kafka_cluster.this.id
    api_version = confluent_kafka_cluster.this.api_version
    kind        = confluent_kafka_cluster.this.kind

    environment {
      id = confluent_environment.this.id
    }
  }

  depends_on = [confluent_role_binding.app_manager_env_admin]
}

resource "confluent_api_key" "sr" {
  display_name = "cmsr-${local.cluster_name}-key-${local.suffix}"
  description  = "${local.description}: Schema Registry API key"

  owner {
    id          = confluent_service_account.sr.id
    api_version = confluent_service_account.sr.api_version
    kind        = confluent_service_account.sr.kind
  }

  managed_resource {
    id          = data.confluent_schema_registry_cluster.this.id
    api_version = data.confluent_schema_registry_cluster.this.api_version
    kind        = data.confluent_schema_registry_cluster.this.kind

    environment {
      id = confluent_environment.this.id
    }
  }

  depends_on = [confluent_role_binding.sr_env_admin]
}

resource "confluent_api_key" "clients_kafka" {
  display_name = "clients-${local.cluster_name}-key-${local.suffix}"
  description  = "${local.description}: Kafka API key for the participant's clients"

  owner {
    id          = confluent_service_account.clients.id
    api_version = confluent_service_account.clients.api_version
    kind        = confluent_service_account.clients.kind
  }

  managed_resource {
    id          = confluent_kafka_cluster.this.id
    api_version = confluent_kafka_cluster.this.api_version
    kind        = confluent_kafka_cluster.this.kind

    environment {
      id = confluent_environment.this.id
    }
  }

  depends_on = [confluent_role_binding.clients_cluster_admin]
}

resource "confluent_api_key" "connectors_kafka" {
  display_name = "connector-${local.cluster_name}-key-${local.suffix}"
  description  = "${local.description}: Kafka API key of the connectors service account"

  owner {
    id          = confluent_service_account.connectors.id
    api_version = confluent_service_account.connectors.api_version
    kind        = confluent_service_account.connectors.kind
  }

  managed_resource {
    id          = confluent_kafka_cluster.this.id
    api_version = confluent_kafka_cluster.this.api_version
    kind        = confluent_kafka_cluster.this.kind

    environment {
      id = confluent_environment.this.id
    }
  }

  depends_on = [confluent_role_binding.connectors_cluster_admin]
}

resource "confluent_api_key" "flink" {
  display_name = "app-manager-flink-api-key-${local.suffix}"
  description  = "${local.description}: Flink API key of the app manager"

  owner {
    id          = confluent_service_account.app_manager.id
    api_version = confluent_service_account.app_manager.api_version
    kind        = confluent_service_account.app_manager.kind
  }

  managed_resource {
    id          = data.confluent_flink_region.this.id
    api_version = data.confluent_flink_region.this.api_version
    kind        = data.confluent_flink_region.this.kind

    environment {
      id = confluent_environment.this.id
    }
  }

  depends_on = [
    confluent_role_binding.app_manager_flink_developer,
    confluent_role_binding.app_manager_flink_admin,
  ]
}

# --- topic and schema -----------------------------------------------------------------------

resource "confluent_kafka_topic" "salesforce_contacts" {
  kafka_cluster {
    id = confluent_kafka_cluster.this.id
  }

  topic_name       = "salesforce_contacts"
  partitions_count = 1
  rest_endpoint    = confluent_kafka_cluster.this.rest_endpoint

  credentials {
    key    = confluent_api_key.app_manager_kafka.id
    secret = confluent_api_key.app_manager_kafka.secret
  }
}

resource "confluent_schema" "salesforce_contacts_value" {
  schema_registry_cluster {
    id = data.confluent_schema_registry_cluster.this.id
  }

  rest_endpoint = data.confluent_schema_registry_cluster.this.rest_endpoint
  subject_name  = "${confluent_kafka_topic.salesforce_contacts.topic_name}-value"
  format        = "AVRO"
  schema        = file("${path.module}/schemas/salesforce_contacts-value.avsc")
  hard_delete   = true

  credentials {
    key    = confluent_api_key.sr.id
    secret = confluent_api_key.sr.secret
  }
}

# --- Flink ----------------------------------------------------------------------------------

resource "confluent_flink_compute_pool" "this" {
  display_name = "cdc_flink_pool-${local.suffix}"
  cloud        = var.cloud
  region       = var.region
  max_cfu      = var.compute_pool_max_cfu

  environment {
    id = confluent_environment.this.id
  }
}
