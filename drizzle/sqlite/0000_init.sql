CREATE TABLE `saga_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`saga_id` text NOT NULL,
	`at` integer NOT NULL,
	`step_idx` integer,
	`step_name` text,
	`from_status` text,
	`to_status` text NOT NULL,
	`detail` text,
	`epoch` integer NOT NULL,
	FOREIGN KEY (`saga_id`) REFERENCES `saga_runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `saga_events_saga` ON `saga_events` (`saga_id`,`id`);--> statement-breakpoint
CREATE TABLE `saga_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`step_names` text NOT NULL,
	`context` text NOT NULL,
	`triggered_by` text NOT NULL,
	`deployment_id` text,
	`batch_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`lease_epoch` integer DEFAULT 0 NOT NULL,
	`owner_pid` integer,
	`owner_host` text,
	`owner_started_at` integer,
	`owner_acquired_at` integer,
	`recovery_attempts` integer DEFAULT 0 NOT NULL,
	`cancel_requested_at` integer,
	`error` text
);
--> statement-breakpoint
CREATE INDEX `saga_runs_created_at` ON `saga_runs` (`created_at`);--> statement-breakpoint
CREATE INDEX `saga_runs_status_created_at` ON `saga_runs` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `saga_runs_kind_created_at` ON `saga_runs` (`kind`,`created_at`);--> statement-breakpoint
CREATE INDEX `saga_runs_deployment` ON `saga_runs` (`deployment_id`);--> statement-breakpoint
CREATE INDEX `saga_runs_batch` ON `saga_runs` (`batch_id`);--> statement-breakpoint
CREATE TABLE `saga_step_results` (
	`saga_id` text NOT NULL,
	`idx` integer NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`compensated_at` integer,
	`error` text,
	PRIMARY KEY(`saga_id`, `idx`),
	FOREIGN KEY (`saga_id`) REFERENCES `saga_runs`(`id`) ON UPDATE no action ON DELETE no action
);
