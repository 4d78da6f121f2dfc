ALTER TABLE "usage_ledger" ADD COLUMN "resolved_model" text;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "attempts" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_attempts_positive" CHECK ("usage_ledger"."attempts" >= 1);