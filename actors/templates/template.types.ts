/**
 * A message template as Meta's `POST /<WABA_ID>/message_templates` takes it (WHATSAPP.md §4.8; Meta's example
 * requests in shared/meta-cloud-api/examples/message-templates): Parlo's API accepts and stores this very shape
 * (snake_case as Meta spells it), lints it against Meta's rules before submitting (template-lint.ts) and submits it
 * unchanged, so what a user reads in Meta's documentation is what they send to Parlo.
 */

export const TEMPLATE_CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;
export type TemplateCategory = (typeof TEMPLATE_CATEGORIES)[number];

export const HEADER_FORMATS = ['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'] as const;
export type HeaderFormat = (typeof HEADER_FORMATS)[number];

/** `positional`: `{{1}}`, `{{2}}`…; `named`: `{{first_name}}` (lowercase letters and underscores, as Meta says). */
export type ParameterFormat = 'positional' | 'named';

export interface NamedExample {
  readonly param_name: string;
  readonly example: string;
}

export interface HeaderComponent {
  readonly type: 'HEADER';
  readonly format: HeaderFormat;
  /** TEXT headers only. */
  readonly text?: string;
  readonly example?: {
    /** TEXT header, positional: one value for `{{1}}`. */
    readonly header_text?: readonly string[];
    /** TEXT header, named. */
    readonly header_text_named_params?: readonly NamedExample[];
    /** Media headers: an upload handle of a sample. */
    readonly header_handle?: readonly string[];
  };
}

export interface BodyComponent {
  readonly type: 'BODY';
  /** Absent only for AUTHENTICATION templates, whose body Meta writes. */
  readonly text?: string;
  /** AUTHENTICATION: "For your security, do not share this code." */
  readonly add_security_recommendation?: boolean;
  readonly example?: {
    /** Positional: one row holding a value per variable, in order. */
    readonly body_text?: readonly (readonly string[])[];
    readonly body_text_named_params?: readonly NamedExample[];
  };
}

export interface FooterComponent {
  readonly type: 'FOOTER';
  readonly text?: string;
  /** AUTHENTICATION: "This code expires in N minutes." (1–90). */
  readonly code_expiration_minutes?: number;
}

export type TemplateButton =
  | { readonly type: 'QUICK_REPLY'; readonly text: string }
  | { readonly type: 'URL'; readonly text: string; readonly url: string; readonly example?: readonly string[] }
  | { readonly type: 'PHONE_NUMBER'; readonly text: string; readonly phone_number: string }
  | { readonly type: 'COPY_CODE'; readonly example: string }
  | {
      readonly type: 'OTP';
      readonly otp_type: 'COPY_CODE' | 'ONE_TAP' | 'ZERO_TAP';
      readonly text?: string;
      readonly autofill_text?: string;
      readonly package_name?: string;
      readonly signature_hash?: string;
      /** ZERO_TAP: must be true (the business accepts Meta's zero-tap terms). */
      readonly zero_tap_terms_accepted?: boolean;
    };

export interface ButtonsComponent {
  readonly type: 'BUTTONS';
  readonly buttons: readonly TemplateButton[];
}

export type TemplateComponent = HeaderComponent | BodyComponent | FooterComponent | ButtonsComponent;

/** The template as created: Meta's request body. */
export interface TemplateDefinition {
  readonly name: string;
  /** Meta's language code: `en`, `en_US`, `es`, `es_ES`, `it`, `pt_BR`… */
  readonly language: string;
  readonly category: TemplateCategory;
  /** Absent: positional. */
  readonly parameter_format?: ParameterFormat;
  /** Whether Meta may recategorise the template (say as MARKETING) instead of rejecting it. */
  readonly allow_category_change?: boolean;
  readonly components: readonly TemplateComponent[];
}

/** Meta's review states (message_template_status_update `event`); only APPROVED templates can be sent. */
export const TEMPLATE_STATUSES = [
  'DRAFT',
  'PENDING',
  'APPROVED',
  'REJECTED',
  'PAUSED',
  'DISABLED',
  'IN_APPEAL',
  'PENDING_DELETION',
  'DELETED',
  'ARCHIVED',
  'LIMIT_EXCEEDED',
  'FLAGGED',
  'LOCKED',
  'REINSTATED',
] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];

/** Meta's template quality score (message_template_quality_update). */
export type TemplateQuality = 'GREEN' | 'YELLOW' | 'RED' | 'UNKNOWN';
