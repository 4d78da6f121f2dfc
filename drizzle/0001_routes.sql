CREATE TABLE "routes" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_user_id" text,
	"owner_org_id" text,
	"name" text NOT NULL,
	"definition" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "routes_at_most_one_owner" CHECK (num_nonnulls("routes"."owner_user_id", "routes"."owner_org_id") <= 1)
);
--> statement-breakpoint
ALTER TABLE "routes" ADD CONSTRAINT "routes_owner_user_id_users_id_fk" FOREIGN KEY ("owner_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "routes" ADD CONSTRAINT "routes_owner_org_id_organizations_id_fk" FOREIGN KEY ("owner_org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "routes_user_name_uq" ON "routes" USING btree ("owner_user_id","name") WHERE "routes"."owner_user_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "routes_org_name_uq" ON "routes" USING btree ("owner_org_id","name") WHERE "routes"."owner_org_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "routes_operator_name_uq" ON "routes" USING btree ("name") WHERE "routes"."owner_user_id" is null and "routes"."owner_org_id" is null;