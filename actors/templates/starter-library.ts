/**
 * Starter templates: six everyday messages in Spanish, English and Italian that a new account can submit to Meta
 * as they are or edit first. Each language is written the way a native speaker would write it, not translated
 * word for word, but all three languages of a template use the same variables in the same roles, so a campaign's
 * mapping works for every language.
 *
 * Meta identifies a template by name and language, so the three languages share one `name` and differ in
 * `language`; `key` (`name.language`) identifies an entry here. Categories follow Meta's categorisation rules:
 * messages about a transaction the customer started (order, shipping, appointment) are UTILITY; anything that
 * invites a purchase or asks for marketing consent is MARKETING. Every entry passes `lintTemplate` (tested).
 *
 * Bodies never start or end with a variable (Meta rejects it) and MARKETING footers tell the customer how to opt
 * out with a word Parlo's opt-out keywords recognise (STOP, BAJA).
 */

import type { TemplateButton, TemplateCategory, TemplateComponent, TemplateDefinition } from './template.types.ts';

export interface StarterTemplate {
  /** `${name}.${language}`: unique in the library. */
  readonly key: string;
  /** A short title in the template's language, for the library screen. */
  readonly title: string;
  readonly definition: TemplateDefinition;
}

export const STARTER_LANGUAGES = ['es', 'en', 'it'] as const;
type StarterLanguage = (typeof STARTER_LANGUAGES)[number];

interface Wording {
  readonly title: string;
  readonly header?: string;
  readonly body: string;
  /** One sample per body variable, `{{1}}` first. */
  readonly examples: readonly string[];
  readonly footer?: string;
  readonly buttons?: readonly TemplateButton[];
}

interface Starter {
  readonly name: string;
  readonly category: TemplateCategory;
  readonly wording: Readonly<Record<StarterLanguage, Wording>>;
}

const quickReplies = (...texts: readonly string[]): readonly TemplateButton[] =>
  texts.map((text): TemplateButton => ({ type: 'QUICK_REPLY', text }));

const cartButton = (text: string): readonly TemplateButton[] => [
  // Replace the address with your shop's cart page; Meta appends the cart id (the button's {{1}}) when sending.
  { type: 'URL', text, url: 'https://shop.example.com/cart/{{1}}', example: ['8f3k2q'] },
];

/** `{{1}}` customer name, `{{2}}` order number, `{{3}}` order total. */
const ORDER_CONFIRMATION: Starter = {
  name: 'parlo_order_confirmation',
  category: 'UTILITY',
  wording: {
    es: {
      title: 'Confirmación de pedido',
      header: 'Pedido confirmado',
      body: '¡Hola, {{1}}! Gracias por tu compra. Hemos recibido tu pedido {{2}} por un total de {{3}} y ya lo estamos preparando. Te avisaremos en cuanto salga.',
      examples: ['Lucía', '#10482', '59,90 €'],
      footer: '¿Tienes dudas? Responde a este mensaje.',
    },
    en: {
      title: 'Order confirmation',
      header: 'Order confirmed',
      body: "Hi {{1}}, thanks for your order! We've received order {{2}} for a total of {{3}} and we're getting it ready. We'll message you again as soon as it ships.",
      examples: ['Emma', '#10482', '$64.90'],
      footer: 'Questions? Just reply to this message.',
    },
    it: {
      title: "Conferma d'ordine",
      header: 'Ordine confermato',
      body: "Ciao {{1}}, grazie per il tuo acquisto! Abbiamo ricevuto l'ordine {{2}}, per un totale di {{3}}, e lo stiamo già preparando. Ti scriveremo appena partirà.",
      examples: ['Giulia', '#10482', '59,90 €'],
      footer: 'Domande? Rispondi pure a questo messaggio.',
    },
  },
};

/** `{{1}}` customer name, `{{2}}` order number, `{{3}}` carrier, `{{4}}` expected delivery date. */
const SHIPPING_UPDATE: Starter = {
  name: 'parlo_shipping_update',
  category: 'UTILITY',
  wording: {
    es: {
      title: 'Aviso de envío',
      body: 'Hola, {{1}}: tu pedido {{2}} ya está en camino. Lo hemos enviado con {{3}} y debería llegarte el {{4}}.',
      examples: ['Lucía', '#10482', 'SEUR', 'jueves 12 de junio'],
      footer: 'Si necesitas ayuda, responde a este mensaje.',
    },
    en: {
      title: 'Shipping update',
      body: 'Hi {{1}}, your order {{2}} is on its way! It was shipped with {{3}} and should arrive by {{4}}.',
      examples: ['Emma', '#10482', 'UPS', 'Thursday, June 12'],
      footer: 'Need help? Reply to this message.',
    },
    it: {
      title: 'Spedizione in arrivo',
      body: "Ciao {{1}}, il tuo ordine {{2}} è in viaggio! L'abbiamo affidato a {{3}} e dovrebbe arrivare entro {{4}}.",
      examples: ['Giulia', '#10482', 'BRT', 'giovedì 12 giugno'],
      footer: 'Serve aiuto? Rispondi a questo messaggio.',
    },
  },
};

/** `{{1}}` customer name, `{{2}}` business name, `{{3}}` date, `{{4}}` time. */
const APPOINTMENT_REMINDER: Starter = {
  name: 'parlo_appointment_reminder',
  category: 'UTILITY',
  wording: {
    es: {
      title: 'Recordatorio de cita',
      body: 'Hola, {{1}}: te recordamos tu cita en {{2}} el {{3}} a las {{4}}. Si no puedes venir, avísanos con uno de los botones.',
      examples: ['Lucía', 'Clínica Dental Sonrisa', 'martes 10 de junio', '10:30'],
      buttons: quickReplies('Confirmo', 'Cambiar la cita'),
    },
    en: {
      title: 'Appointment reminder',
      body: "Hi {{1}}, just a reminder of your appointment at {{2}} on {{3}} at {{4}}. If you can't make it, let us know with one of the buttons below.",
      examples: ['Emma', 'Bright Smile Dental', 'Tuesday, June 10', '10:30 AM'],
      buttons: quickReplies("I'll be there", 'Reschedule'),
    },
    it: {
      title: 'Promemoria appuntamento',
      body: "Ciao {{1}}, ti ricordiamo l'appuntamento da {{2}} il {{3}} alle {{4}}. Se non riesci a venire, faccelo sapere con uno dei pulsanti qui sotto.",
      examples: ['Giulia', 'Studio Dentistico Sorriso', 'martedì 10 giugno', '10:30'],
      buttons: quickReplies('Ci sarò', 'Sposta appuntamento'),
    },
  },
};

/** `{{1}}` customer name; the button's own `{{1}}` is the cart id. */
const ABANDONED_CART: Starter = {
  name: 'parlo_abandoned_cart',
  category: 'MARKETING',
  wording: {
    es: {
      title: 'Carrito abandonado',
      body: '¡Hola, {{1}}! Te has dejado algunos productos en el carrito. Te los guardamos un tiempo, pero no para siempre: termina tu compra cuando quieras desde el botón.',
      examples: ['Lucía'],
      footer: 'Responde BAJA si no quieres recibir más ofertas.',
      buttons: cartButton('Ver mi carrito'),
    },
    en: {
      title: 'Abandoned cart',
      body: "Hi {{1}}, you left a few things in your cart. We're holding them for you, but not forever, so tap below to pick up where you left off.",
      examples: ['Emma'],
      footer: 'Reply STOP to stop receiving offers.',
      buttons: cartButton('View my cart'),
    },
    it: {
      title: 'Carrello abbandonato',
      body: "Ciao {{1}}, hai lasciato qualcosa nel carrello! Te lo teniamo da parte ancora per un po', ma non per sempre: completa l'acquisto dal pulsante qui sotto.",
      examples: ['Giulia'],
      footer: 'Rispondi STOP per non ricevere più offerte.',
      buttons: cartButton('Vai al carrello'),
    },
  },
};

/** `{{1}}` customer name, `{{2}}` business name. */
const DOUBLE_OPT_IN: Starter = {
  name: 'parlo_double_opt_in',
  category: 'MARKETING',
  wording: {
    es: {
      title: 'Confirmación de suscripción',
      body: 'Hola, {{1}}: ¿quieres recibir novedades y ofertas de {{2}} por WhatsApp? Elige una opción. Puedes darte de baja cuando quieras.',
      examples: ['Lucía', 'Café Aroma'],
      buttons: quickReplies('Sí, me apunto', 'No, gracias'),
    },
    en: {
      title: 'Double opt-in',
      body: 'Hi {{1}}, would you like to get news and offers from {{2}} on WhatsApp? Tap a button to let us know. You can unsubscribe at any time.',
      examples: ['Emma', 'Corner Coffee'],
      buttons: quickReplies('Yes, subscribe', 'No thanks'),
    },
    it: {
      title: 'Conferma iscrizione',
      body: "Ciao {{1}}, vuoi ricevere novità e offerte di {{2}} su WhatsApp? Scegli una risposta qui sotto. Puoi annullare l'iscrizione quando vuoi.",
      examples: ['Giulia', 'Caffè Aroma'],
      buttons: quickReplies('Sì, mi iscrivo', 'No, grazie'),
    },
  },
};

/** `{{1}}` customer name, `{{2}}` business name. */
const WELCOME: Starter = {
  name: 'parlo_welcome',
  category: 'MARKETING',
  wording: {
    es: {
      title: 'Bienvenida',
      header: '¡Te damos la bienvenida!',
      body: 'Hola, {{1}}: ¡qué alegría tenerte en {{2}}! Por aquí te contaremos nuestras novedades y ofertas exclusivas, y puedes escribirnos siempre que lo necesites.',
      examples: ['Lucía', 'Café Aroma'],
      footer: 'Responde BAJA para darte de baja.',
    },
    en: {
      title: 'Welcome',
      header: 'Welcome aboard!',
      body: "Hi {{1}}, welcome to {{2}}! We're glad you're here. This is where you'll hear about our news and exclusive offers first, and you can message us whenever you need a hand.",
      examples: ['Emma', 'Corner Coffee'],
      footer: 'Reply STOP to unsubscribe.',
    },
    it: {
      title: 'Benvenuto',
      header: 'Benvenuto a bordo!',
      body: 'Ciao {{1}}, che piacere averti con noi da {{2}}! Qui ti terremo aggiornato su novità e offerte riservate, e puoi scriverci ogni volta che ti serve.',
      examples: ['Giulia', 'Caffè Aroma'],
      footer: "Rispondi STOP per annullare l'iscrizione.",
    },
  },
};

const STARTERS: readonly Starter[] = [
  ORDER_CONFIRMATION,
  SHIPPING_UPDATE,
  APPOINTMENT_REMINDER,
  ABANDONED_CART,
  DOUBLE_OPT_IN,
  WELCOME,
];

function definitionOf(starter: Starter, language: StarterLanguage): TemplateDefinition {
  const w = starter.wording[language];
  const components: TemplateComponent[] = [];
  if (w.header !== undefined) components.push({ type: 'HEADER', format: 'TEXT', text: w.header });
  components.push({ type: 'BODY', text: w.body, example: { body_text: [w.examples] } });
  if (w.footer !== undefined) components.push({ type: 'FOOTER', text: w.footer });
  if (w.buttons !== undefined) components.push({ type: 'BUTTONS', buttons: w.buttons });
  return { name: starter.name, language, category: starter.category, components };
}

/** 6 templates × 3 languages, grouped by template, languages in `STARTER_LANGUAGES` order. */
export const STARTER_TEMPLATES: readonly StarterTemplate[] = STARTERS.flatMap((starter) =>
  STARTER_LANGUAGES.map((language) => ({
    key: `${starter.name}.${language}`,
    title: starter.wording[language].title,
    definition: definitionOf(starter, language),
  })),
);
