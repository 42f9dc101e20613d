import { createContext, createSignal, useContext, type Accessor } from 'solid-js';
import { en, type Catalogue, type MessageKey } from './en.ts';
import { es } from './es.ts';
import { it } from './it.ts';

/** The inbox's languages, one catalogue each (en.ts is the reference; the type keeps the others complete). */
export const LANGUAGES = ['es', 'en', 'it'] as const;
export type Language = (typeof LANGUAGES)[number];

export const LANGUAGE_NAMES: Readonly<Record<Language, string>> = { es: 'Español', en: 'English', it: 'Italiano' };

const CATALOGUES: Readonly<Record<Language, Catalogue>> = { es, en, it };

export const LANGUAGE_STORAGE_KEY = 'parlo.inbox.language';

export type Params = Readonly<Record<string, string | number>>;

export interface I18n {
  readonly language: Accessor<Language>;
  setLanguage(language: Language): void;
  /** The text of `key` in the current language, `{name}` placeholders filled from `params`. */
  t(key: MessageKey, params?: Params): string;
  /** A time of day (or date and time when not today) in the current language. */
  formatTime(iso: string | number): string;
  /** A duration such as "3 h 12 min". */
  formatDuration(ms: number): string;
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The stored choice, else the browser's first language we have, else English. */
export function initialLanguage(storage: Storage | null, preferred: readonly string[]): Language {
  const stored = storage?.getItem(LANGUAGE_STORAGE_KEY);
  if (isLanguage(stored)) return stored;
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return 'en';
}

export function interpolate(text: string, params?: Params): string {
  if (params === undefined) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

export function createI18n(options: { initial?: Language; storage?: Storage | null } = {}): I18n {
  const storage = options.storage === undefined ? safeLocalStorage() : options.storage;
  const [language, setSignal] = createSignal<Language>(
    options.initial ?? initialLanguage(storage, typeof navigator === 'undefined' ? [] : navigator.languages),
  );
  const apply = (lang: Language) => {
    if (typeof document !== 'undefined') document.documentElement.lang = lang;
  };
  apply(language());
  return {
    language,
    setLanguage(lang) {
      setSignal(lang);
      apply(lang);
      try {
        storage?.setItem(LANGUAGE_STORAGE_KEY, lang);
      } catch {
        // Private mode or a full storage: the choice lasts for this page only.
      }
    },
    t: (key, params) => interpolate(CATALOGUES[language()][key], params),
    formatTime(value) {
      const date = new Date(value);
      const sameDay = new Date().toDateString() === date.toDateString();
      return new Intl.DateTimeFormat(
        language(),
        sameDay ? { hour: '2-digit', minute: '2-digit' } : { dateStyle: 'short', timeStyle: 'short' },
      ).format(date);
    },
    formatDuration(ms) {
      const minutes = Math.floor(ms / 60_000);
      const t = (key: MessageKey, params?: Params) => interpolate(CATALOGUES[language()][key], params);
      if (minutes < 1) return t('duration.lessThanMinute');
      if (minutes < 60) return t('duration.m', { m: minutes });
      return t('duration.hm', { h: Math.floor(minutes / 60), m: minutes % 60 });
    },
  };
}

function safeLocalStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export const I18nContext = createContext<I18n>();

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error('useI18n outside <I18nContext.Provider>');
  return i18n;
}
