CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"key_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"owner_user_id" text,
	"owner_org_id" text,
	"name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"rpm_limit" integer,
	"tpm_limit" integer,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash"),
	CONSTRAINT "api_keys_exactly_one_owner" CHECK (num_nonnulls("api_keys"."owner_user_id", "api_keys"."owner_org_id") = 1),
	CONSTRAINT "api_keys_limits_non_negative" CHECK (coalesce("api_keys"."rpm_limit", 0) >= 0 and coalesce("api_keys"."tpm_limit", 0) >= 0)
);
--> statement-breakpoint
CREATE TABLE "byok_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_user_id" text,
	"owner_org_id" text,
	"provider" text NOT NULL,
	"key_enc" text NOT NULL,
	"key_hint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "byok_keys_exactly_one_owner" CHECK (num_nonnulls("byok_keys"."owner_user_id", "byok_keys"."owner_org_id") = 1)
);
--> statement-breakpoint
CREATE TABLE "catalog_models" (
	"id" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"upstream_model" text NOT NULL,
	"context_length" integer,
	"input_price" bigint,
	"output_price" bigint,
	"free" boolean DEFAULT false NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	CONSTRAINT "catalog_models_prices_non_negative" CHECK (coalesce("catalog_models"."input_price", 0) >= 0 and coalesce("catalog_models"."output_price", 0) >= 0),
	CONSTRAINT "catalog_models_context_positive" CHECK (coalesce("catalog_models"."context_length", 1) > 0)
);
--> statement-breakpoint
CREATE TABLE "custom_upstreams" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_user_id" text,
	"owner_org_id" text,
	"provider_id" text NOT NULL,
	"display_name" text NOT NULL,
	"base_url" text NOT NULL,
	"api_key_enc" text NOT NULL,
	"api_key_hint" text NOT NULL,
	"extra_headers_enc" text,
	"extra_header_names" text[] DEFAULT '{}'::text[] NOT NULL,
	"models" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "custom_upstreams_exactly_one_owner" CHECK (num_nonnulls("custom_upstreams"."owner_user_id", "custom_upstreams"."owner_org_id") = 1)
);
--> statement-breakpoint
CREATE TABLE "org_memberships" (
	"org_id" text NOT NULL,
	"user_id" text NOT NULL,
	"role" text NOT NULL,
	CONSTRAINT "org_memberships_org_id_user_id_pk" PRIMARY KEY("org_id","user_id"),
	CONSTRAINT "org_memberships_role_valid" CHECK ("org_memberships"."role" in ('owner', 'admin', 'member'))
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"plan" text DEFAULT 'free' NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"credit_microdollars" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organizations_plan_valid" CHECK ("organizations"."plan" in ('free', 'team', 'enterprise'))
);
--> statement-breakpoint
CREATE TABLE "usage_ledger" (
	"request_id" text PRIMARY KEY NOT NULL,
	"owner_user_id" text,
	"owner_org_id" text,
	"api_key_id" text,
	"model" text NOT NULL,
	"provider" text NOT NULL,
	"upstream_model" text NOT NULL,
	"byok" boolean DEFAULT false NOT NULL,
	"prompt_tokens" integer DEFAULT 0 NOT NULL,
	"completion_tokens" integer DEFAULT 0 NOT NULL,
	"estimated" boolean DEFAULT false NOT NULL,
	"cost_microdollars" bigint DEFAULT 0 NOT NULL,
	"status" integer NOT NULL,
	"latency_ms" integer NOT NULL,
	"ttfb_ms" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "usage_ledger_exactly_one_owner" CHECK (num_nonnulls("usage_ledger"."owner_user_id", "usage_ledger"."owner_org_id") = 1),
	CONSTRAINT "usage_ledger_non_negative" CHECK ("usage_ledger"."prompt_tokens" >= 0 and "usage_ledger"."completion_tokens" >= 0 and "usage_ledger"."cost_microdollars" >= 0 and "usage_ledger"."latency_ms" >= 0 and coalesce("usage_ledger"."ttfb_ms", 0) >= 0)
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text,
	"api_token_pepper" text,
	"blocked" boolean DEFAULT false NOT NULL,
	"credit_microdollars" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_owner_user_id_users_id_fk" FOREIGN KEY ("owner_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_owner_org_id_organizations_id_fk" FOREIGN KEY ("owner_org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "byok_keys" ADD CONSTRAINT "byok_keys_owner_user_id_users_id_fk" FOREIGN KEY ("owner_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "byok_keys" ADD CONSTRAINT "byok_keys_owner_org_id_organizations_id_fk" FOREIGN KEY ("owner_org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "custom_upstreams" ADD CONSTRAINT "custom_upstreams_owner_user_id_users_id_fk" FOREIGN KEY ("owner_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "custom_upstreams" ADD CONSTRAINT "custom_upstreams_owner_org_id_organizations_id_fk" FOREIGN KEY ("owner_org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "org_memberships" ADD CONSTRAINT "org_memberships_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "org_memberships" ADD CONSTRAINT "org_memberships_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_owner_user_id_users_id_fk" FOREIGN KEY ("owner_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_owner_org_id_organizations_id_fk" FOREIGN KEY ("owner_org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_owner_user_idx" ON "api_keys" USING btree ("owner_user_id");--> statement-breakpoint
CREATE INDEX "api_keys_owner_org_idx" ON "api_keys" USING btree ("owner_org_id");--> statement-breakpoint
CREATE UNIQUE INDEX "byok_keys_user_provider_uq" ON "byok_keys" USING btree ("owner_user_id","provider") WHERE "byok_keys"."owner_user_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "byok_keys_org_provider_uq" ON "byok_keys" USING btree ("owner_org_id","provider") WHERE "byok_keys"."owner_org_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "custom_upstreams_user_provider_uq" ON "custom_upstreams" USING btree ("owner_user_id","provider_id") WHERE "custom_upstreams"."owner_user_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "custom_upstreams_org_provider_uq" ON "custom_upstreams" USING btree ("owner_org_id","provider_id") WHERE "custom_upstreams"."owner_org_id" is not null;--> statement-breakpoint
CREATE INDEX "org_memberships_user_idx" ON "org_memberships" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "usage_ledger_user_created_idx" ON "usage_ledger" USING btree ("owner_user_id","created_at");--> statement-breakpoint
CREATE INDEX "usage_ledger_org_created_idx" ON "usage_ledger" USING btree ("owner_org_id","created_at");