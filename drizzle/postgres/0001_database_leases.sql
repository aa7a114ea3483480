CREATE TABLE "batch_holds" (
	"batch_id" text PRIMARY KEY NOT NULL,
	"owner_pid" integer NOT NULL,
	"owner_host" text NOT NULL,
	"owner_started_at" bigint,
	"acquired_at" bigint NOT NULL,
	"heartbeat_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "saga_runs" ADD COLUMN "owner_heartbeat_at" bigint;