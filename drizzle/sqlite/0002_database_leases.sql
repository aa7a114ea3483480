CREATE TABLE `batch_holds` (
	`batch_id` text PRIMARY KEY NOT NULL,
	`owner_pid` integer NOT NULL,
	`owner_host` text NOT NULL,
	`owner_started_at` integer,
	`acquired_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `saga_runs` ADD `owner_heartbeat_at` integer;