import { For } from 'solid-js';
import { LANGUAGES, LANGUAGE_NAMES, isLanguage, useI18n } from '../i18n/i18n.ts';

/** The language menu: Spanish, English, Italian (the choice is remembered in this browser). */
export function LanguageSwitch() {
  const i18n = useI18n();
  return (
    <label class="language-switch">
      <span class="visually-hidden">{i18n.t('language.label')}</span>
      <select
        value={i18n.language()}
        onChange={(e) => {
          const value = e.currentTarget.value;
          if (isLanguage(value)) i18n.setLanguage(value);
        }}
      >
        <For each={LANGUAGES}>
          {(lang) => (
            <option value={lang} lang={lang}>
              {LANGUAGE_NAMES[lang]}
            </option>
          )}
        </For>
      </select>
    </label>
  );
}
